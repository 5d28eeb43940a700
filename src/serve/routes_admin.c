/* routes_admin.c — API keys over HTTP (admin scope): list, create and revoke while the
 * server runs (the CLI's `tamis apikey` needs the data directory, which a running
 * server holds). Keys are created and revoked in write transactions of their own
 * (src/serve/apikeys.c); a revoked key fails from its next request, since every
 * request checks its key in a fresh read transaction. */
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <string.h>

#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"

static json_t *key_object(const tamis_apikey_info *k)
{
    char created[32];
    tamis_format_utc(k->created_ms, false, created);
    return json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", k->id, "scope", tamis_scope_name(k->scope), "label", k->label,
                     "created", created, "revoked", k->revoked);
}

enum MHD_Result srv_get_apikeys(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    tamis_apikey_info *keys = NULL;
    tamis_error err = {0};
    size_t n = 0;
    json_t *list;
    if (tamis_apikey_list(s->store, &keys, &n, &err) != TAMIS_OK)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, key_object(&keys[i]));
    tamis_free(keys);
    return srv_send_json(s, c, req, 200, json_pack("{s:o}", "keys", list));
}

enum MHD_Result srv_post_apikeys(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    json_t *body = json_loadb(req->body ? req->body : "", req->len, 0, NULL), *doc;
    const char *scope_name = NULL, *label = NULL;
    char key[TAMIS_APIKEY_MAX];
    tamis_apikey_info info;
    tamis_error err = {0};
    tamis_scope scope;

    if (!json_is_object(body) || json_unpack(body, "{s:s,s?s}", "scope", &scope_name, "label", &label) != 0 ||
        (scope = tamis_scope_from_name(scope_name)) == TAMIS_SCOPE_NONE ||
        (label && strlen(label) >= TAMIS_APIKEY_LABEL_MAX)) {
        json_decref(body);
        return srv_send_error(s, c, req, 400, "bad_request",
                              "send {\"scope\": \"read\"|\"write\"|\"admin\", \"label\": \"...\"} (label under 64 bytes)");
    }
    if (tamis_apikey_create(s->store, scope, label, key, &info, &err) != TAMIS_OK) {
        json_decref(body);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    json_decref(body);
    doc = key_object(&info);
    json_object_set_new(doc, "key", json_string(key)); /* shown this once */
    OPENSSL_cleanse(key, sizeof key);
    return srv_send_json(s, c, req, 200, doc);
}

enum MHD_Result srv_delete_apikey(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *id)
{
    tamis_error err = {0};
    int rc = tamis_apikey_revoke(s->store, id, &err);
    if (rc == TAMIS_ENOTFOUND)
        return srv_send_error(s, c, req, 404, "unknown_key", "no API key with that id");
    if (rc)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    return srv_send_json(s, c, req, 200, json_pack("{s:s,s:b}", "id", id, "revoked", 1));
}
