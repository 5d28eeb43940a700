"""serve_client.py — what the `tamis serve` tests share: a real HTTP client
(http.client), error checks, and a checker of answers against the response schemas
of docs/openapi.yaml (the subset of OpenAPI 3 the file uses: $ref, type, required,
properties, items, additionalProperties, nullable, enum)."""
import http.client
import json

import yaml


class Server:
    def __init__(self, port, spec_path):
        self.port = port
        self.spec = yaml.safe_load(open(spec_path))

    def call(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Content-Type") or "", data, r

    def error(self, got, status, code):
        s, _, b, _ = got
        assert s == status, (s, b[:300])
        e = json.loads(b)["error"]
        assert e["code"] == code and e["message"], e

    def resolve(self, schema):
        while "$ref" in schema:
            node = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def check(self, value, schema, where="$"):
        """Asserts that value has the shape schema documents."""
        schema = self.resolve(schema)
        if value is None:
            assert schema.get("nullable"), f"{where}: null where the schema allows none"
            return
        t = schema.get("type")
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
        if t in kinds:
            assert isinstance(value, kinds[t]), f"{where}: {type(value).__name__}, documented {t}"
        elif t == "integer":
            assert isinstance(value, int) and not isinstance(value, bool), f"{where}: not an integer: {value!r}"
        elif t == "number":
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: not a number"
        if "enum" in schema:
            assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
        if isinstance(value, dict):
            for k in schema.get("required", []):
                assert k in value, f"{where}: required key '{k}' missing"
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for k, v in value.items():
                if k in props:
                    self.check(v, props[k], f"{where}.{k}")
                elif isinstance(extra, dict):
                    self.check(v, extra, f"{where}.{k}")
        if isinstance(value, list) and "items" in schema:
            for i, v in enumerate(value):
                self.check(v, schema["items"], f"{where}[{i}]")

    def check_answer(self, path, method, got):
        """The answer's status must be documented for path and method, and a JSON
        body must have the documented shape."""
        s, t, b, _ = got
        op = self.spec["paths"][path][method.lower()]
        doc = op["responses"].get(str(s))
        assert doc is not None, f"{method} {path}: status {s} is not documented ({b[:200]!r})"
        content = doc.get("content", {})
        mime = t.split(";")[0].strip()
        assert not content or mime in content, f"{method} {path}: {mime} not documented for {s}"
        if mime == "application/json":
            self.check(json.loads(b), content[mime]["schema"], f"{method} {path}")
