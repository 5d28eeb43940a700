/* countries.c — the static world of the generator: countries with their shares, time
 * zones, cities, mobile numbering plans, usual messaging platforms and names, and the
 * pure functions that turn a hash into a phone number or a platform id.
 *
 * Used by population.c (contacts rows) and writer.c (platform ids in events). Mobile
 * prefixes and lengths follow the national plans as libphonenumber 8.12 encodes them,
 * so every phone written as valid here is valid (and MOBILE or FIXED_LINE_OR_MOBILE)
 * for the identity module; docs/GEN.md tells how this was checked. */
#include <string.h>

#include "gen/gen_int.h"

#define L(...)                                 \
    {                                          \
        (const char *const[]){__VA_ARGS__},    \
        (uint32_t)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)) \
    }
#define NONE {NULL, 0}

const char *const gen_platform_names[GEN_P__COUNT] = {
    "telegram", "line", "whatsapp", "zalo", "messenger", "viber", "wechat", "qq", "app", "web",
};

/* ------------------------------------------------------------------ zones and cities */

static const gen_zone zones_vn[] = {
    {"Asia/Ho_Chi_Minh", 420, 1, NONE,
     L("Ho Chi Minh City", "Hanoi", "Da Nang", "Hai Phong", "Can Tho", "Nha Trang")},
};
static const gen_zone zones_th[] = {
    {"Asia/Bangkok", 420, 1, NONE, L("Bangkok", "Chiang Mai", "Phuket", "Khon Kaen", "Pattaya")},
};
static const gen_zone zones_jp[] = {
    {"Asia/Tokyo", 540, 1, NONE, L("Tokyo", "Osaka", "Yokohama", "Nagoya", "Fukuoka", "Sapporo")},
};
static const gen_zone zones_kr[] = {
    {"Asia/Seoul", 540, 1, NONE, L("Seoul", "Busan", "Incheon", "Daegu", "Daejeon")},
};
static const gen_zone zones_tw[] = {
    {"Asia/Taipei", 480, 1, NONE, L("Taipei", "Kaohsiung", "Taichung", "Tainan", "Hsinchu")},
};
static const gen_zone zones_cn[] = {
    {"Asia/Shanghai", 480, 1, NONE,
     L("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Chengdu", "Hangzhou", "Wuhan")},
};
static const gen_zone zones_us[] = {
    {"America/New_York", -300, 45, L("201", "202", "212", "305", "404", "617", "646", "718", "786", "917"),
     L("New York", "Miami", "Boston", "Atlanta", "Washington", "Newark")},
    {"America/Chicago", -360, 25, L("214", "312", "512", "612", "713", "773"),
     L("Chicago", "Houston", "Dallas", "Austin", "Minneapolis")},
    {"America/Denver", -420, 7, L("303", "720", "801"), L("Denver", "Salt Lake City", "Boulder")},
    {"America/Los_Angeles", -480, 23, L("206", "213", "310", "408", "415", "702", "818"),
     L("Los Angeles", "San Francisco", "Seattle", "San Jose", "Las Vegas")},
};
static const gen_zone zones_ca[] = {
    {"America/Toronto", -300, 60, L("416", "438", "514", "613", "647", "905"),
     L("Toronto", "Montreal", "Ottawa", "Mississauga")},
    {"America/Vancouver", -480, 25, L("250", "604", "778"), L("Vancouver", "Victoria", "Surrey")},
    {"America/Edmonton", -420, 15, L("403", "587", "780"), L("Calgary", "Edmonton")},
};
static const gen_zone zones_br[] = {
    {"America/Sao_Paulo", -180, 1, NONE,
     L("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Brasília", "Salvador", "Curitiba")},
};
static const gen_zone zones_in[] = {
    {"Asia/Kolkata", 330, 1, NONE,
     L("Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune")},
};
static const gen_zone zones_id[] = {
    {"Asia/Jakarta", 420, 80, NONE, L("Jakarta", "Surabaya", "Bandung", "Medan", "Semarang")},
    {"Asia/Makassar", 480, 15, NONE, L("Makassar", "Denpasar", "Balikpapan")},
    {"Asia/Jayapura", 540, 5, NONE, L("Jayapura", "Ambon")},
};
static const gen_zone zones_mx[] = {
    {"America/Mexico_City", -360, 1, NONE, L("Ciudad de México", "Guadalajara", "Monterrey", "Puebla")},
};
static const gen_zone zones_ru[] = {
    {"Europe/Moscow", 180, 70, NONE, L("Moscow", "Saint Petersburg", "Kazan", "Nizhny Novgorod")},
    {"Asia/Yekaterinburg", 300, 15, NONE, L("Yekaterinburg", "Chelyabinsk", "Perm")},
    {"Asia/Novosibirsk", 420, 15, NONE, L("Novosibirsk", "Tomsk")},
};
static const gen_zone zones_ua[] = {
    {"Europe/Kiev", 120, 1, NONE, L("Kyiv", "Kharkiv", "Odesa", "Lviv", "Dnipro")},
};
static const gen_zone zones_pl[] = {
    {"Europe/Warsaw", 60, 1, NONE, L("Warsaw", "Kraków", "Wrocław", "Gdańsk", "Poznań")},
};
static const gen_zone zones_ae[] = {
    {"Asia/Dubai", 240, 1, NONE, L("Dubai", "Abu Dhabi", "Sharjah")},
};
static const gen_zone zones_sa[] = {
    {"Asia/Riyadh", 180, 1, NONE, L("Riyadh", "Jeddah", "Dammam", "Mecca")},
};
static const gen_zone zones_ir[] = {
    {"Asia/Tehran", 210, 1, NONE, L("Tehran", "Mashhad", "Isfahan", "Shiraz", "Tabriz")},
};
static const gen_zone zones_ph[] = {
    {"Asia/Manila", 480, 1, NONE, L("Manila", "Quezon City", "Cebu City", "Davao City")},
};
static const gen_zone zones_my[] = {
    {"Asia/Kuala_Lumpur", 480, 1, NONE, L("Kuala Lumpur", "Penang", "Johor Bahru", "Kota Kinabalu")},
};
static const gen_zone zones_de[] = {
    {"Europe/Berlin", 60, 1, NONE, L("Berlin", "Hamburg", "München", "Köln", "Frankfurt")},
};
static const gen_zone zones_gb[] = {
    {"Europe/London", 0, 1, NONE, L("London", "Manchester", "Birmingham", "Leeds", "Glasgow")},
};

#define ZONES(z) z, (uint8_t)(sizeof z / sizeof z[0])

/* ------------------------------------------------------------------ names */

/* Given names alternate male, female: the gender column follows the index parity. */
#define EN_GIVEN L("James", "Mary", "Michael", "Jennifer", "David", "Linda", "Daniel", "Jessica", \
                   "Chris", "Ashley", "Robert", "Emily")
#define EN_FAMILY L("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", \
                    "Rodriguez", "Wilson", "O'Brien", "Nguyen")
#define AR_GIVEN L("Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Mariam", "Ali", "Noura", \
                   "Khalid", "Sara", "Abdullah", "Reem")
#define AR_FAMILY L("Al Mansoori", "Al Hashemi", "Al Zaabi", "Al Qahtani", "Al Ghamdi", "Al Harbi", \
                    "Khan", "Al Otaibi")

/* ------------------------------------------------------------------ countries */

/* platform_pct order: telegram, line, whatsapp, zalo, messenger, viber, wechat, qq. */
const gen_country gen_countries[] = {
    {"VN", 1200, "84", "0", "0NNN NNN NNN", "+84 NNN NNN NNN", 9, 0,
     L("90", "91", "93", "94", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",
       "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88"),
     ZONES(zones_vn), {10, 0, 5, 85, 55, 5, 0, 0}, true,
     L("Văn An", "Thị Hoa", "Minh Tuấn", "Thu Trang", "Quang Huy", "Ngọc Lan", "Đức Anh", "Thị Mai",
       "Hoàng Nam", "Bảo Ngọc", "Tiến Dũng", "Phương Linh"),
     L("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")},
    {"TH", 750, "66", "0", "0NN NNN NNNN", "+66 NN NNN NNNN", 9, 0,
     L("61", "62", "63", "64", "65", "80", "81", "82", "83", "84", "85", "86", "87", "88", "89",
       "90", "91", "92", "93", "94", "95", "96", "97", "98", "99"),
     ZONES(zones_th), {3, 90, 5, 0, 45, 0, 0, 0}, false,
     L("Somchai", "Siriporn", "Somsak", "Kanokwan", "Thanawat", "Pimchanok", "Nattapong", "Anong",
       "Kittisak", "Suda"),
     L("Saetang", "Srisuk", "Wongsawat", "Chaiyaporn", "Rattanakorn", "Boonmee", "Sukprasert")},
    {"JP", 500, "81", "0", "0NN-NNNN-NNNN", "+81 NN-NNNN-NNNN", 10, 1, L("90", "80", "70"),
     ZONES(zones_jp), {2, 85, 3, 0, 5, 0, 0, 0}, true,
     L("太郎", "花子", "蓮", "陽菜", "大翔", "結衣", "健太", "美咲", "Haruto", "Yui"),
     L("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "Sato", "Suzuki")},
    {"KR", 300, "82", "0", "0NN-NNNN-NNNN", "+82 NN-NNNN-NNNN", 10, 0,
     L("102", "103", "104", "106", "107", "108", "109"),
     ZONES(zones_kr), {5, 50, 3, 0, 5, 0, 0, 0}, true,
     L("민준", "서연", "도윤", "하은", "지호", "수아", "Minjun", "Seoyeon"),
     L("김", "이", "박", "최", "정", "강", "Kim", "Lee")},
    {"TW", 300, "886", "0", "0NNN NNN NNN", "+886 NNN NNN NNN", 9, 0,
     L("90", "91", "92", "93", "94", "95", "96", "97", "98"),
     ZONES(zones_tw), {3, 90, 3, 0, 30, 0, 3, 0}, true,
     L("志明", "怡君", "家豪", "雅婷", "俊傑", "淑芬", "冠宇", "欣怡"),
     L("陳", "林", "黃", "張", "李", "王", "吳", "劉")},
    {"CN", 550, "86", "", "NNN NNNN NNNN", "+86 NNN NNNN NNNN", 11, 0,
     L("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
       "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186", "187",
       "188", "189"),
     ZONES(zones_cn), {1, 0, 1, 0, 0, 0, 95, 40}, true,
     L("伟", "芳", "磊", "娜", "洋", "敏", "强", "静", "军", "秀英"),
     L("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴")},
    {"US", 950, "1", "", "(NNN) NNN-NNNN", "+1 NNN-NNN-NNNN", 10, 2, NONE,
     ZONES(zones_us), {8, 0, 35, 0, 60, 0, 0, 0}, false, EN_GIVEN, EN_FAMILY},
    {"CA", 200, "1", "", "(NNN) NNN-NNNN", "+1 NNN-NNN-NNNN", 10, 2, NONE,
     ZONES(zones_ca), {8, 0, 45, 0, 55, 0, 0, 0}, false, EN_GIVEN, EN_FAMILY},
    {"BR", 550, "55", "", "(NN) NNNNN-NNNN", "+55 NN NNNNN-NNNN", 11, 6,
     L("119", "219", "319", "419", "519", "619", "719", "819", "859", "199", "279", "489"),
     ZONES(zones_br), {15, 0, 92, 0, 20, 0, 0, 0}, false,
     L("João", "Maria", "Pedro", "Ana", "Lucas", "Juliana", "Gabriel", "Fernanda", "Rafael", "Camila"),
     L("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Ferreira")},
    {"IN", 850, "91", "0", "0NNNNN NNNNN", "+91 NNNNN NNNNN", 10, 0,
     L("98", "99", "97", "96", "95", "94", "93", "91", "90", "70"),
     ZONES(zones_in), {20, 0, 92, 0, 10, 0, 0, 0}, false,
     L("Rahul", "Priya", "Amit", "Sneha", "Arjun", "Pooja", "Vikram", "Ananya", "Rohan", "Kavya"),
     L("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Das", "Nair")},
    {"ID", 850, "62", "0", "0NNN-NNNN-NNNN", "+62 NNN-NNNN-NNNN", 11, 0,
     L("812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "896", "897", "898",
       "899", "881", "882", "855", "856", "815", "816", "817", "818", "819", "859"),
     ZONES(zones_id), {25, 5, 92, 0, 15, 0, 0, 0}, false,
     L("Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Ayu", "Joko", "Indah"),
     L("Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Lestari", "Nugroho", "Kusuma")},
    {"MX", 400, "52", "", "NN NNNN NNNN", "+52 NN NNNN NNNN", 10, 1, L("55", "56", "33", "81"),
     ZONES(zones_mx), {8, 0, 93, 0, 50, 0, 0, 0}, false,
     L("José", "María", "Juan", "Guadalupe", "Carlos", "Fernanda", "Luis", "Sofía"),
     L("Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez")},
    {"RU", 450, "7", "8", "8 (NNN) NNN-NN-NN", "+7 NNN NNN-NN-NN", 10, 0,
     L("901", "903", "905", "906", "909", "910", "911", "912", "915", "916", "917", "918", "919",
       "920", "921", "925", "926", "929", "950", "951", "952", "953", "960", "961", "964", "977",
       "985", "999"),
     ZONES(zones_ru), {80, 0, 55, 0, 5, 30, 0, 0}, false,
     L("Александр", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Иван", "Ольга", "Alexey", "Natalia"),
     L("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Volkov")},
    {"UA", 300, "380", "0", "0NN NNN NN NN", "+380 NN NNN NNNN", 9, 0,
     L("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"),
     ZONES(zones_ua), {80, 0, 30, 0, 10, 65, 0, 0}, false,
     L("Олександр", "Олена", "Андрій", "Наталія", "Максим", "Юлія", "Taras", "Oksana"),
     L("Шевченко", "Бондаренко", "Коваленко", "Ткаченко", "Кравченко", "Мельник", "Boyko")},
    {"PL", 200, "48", "", "NNN NNN NNN", "+48 NNN NNN NNN", 9, 0,
     L("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"),
     ZONES(zones_pl), {25, 0, 50, 0, 60, 10, 0, 0}, false,
     L("Jan", "Anna", "Piotr", "Katarzyna", "Krzysztof", "Małgorzata", "Tomasz", "Agnieszka"),
     L("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński")},
    {"AE", 200, "971", "0", "0NN NNN NNNN", "+971 NN NNN NNNN", 9, 0,
     L("50", "52", "54", "55", "56", "58"),
     ZONES(zones_ae), {45, 0, 85, 0, 10, 0, 0, 0}, false, AR_GIVEN, AR_FAMILY},
    {"SA", 300, "966", "0", "0NN NNN NNNN", "+966 NN NNN NNNN", 9, 0,
     L("50", "53", "54", "55", "56", "58", "59"),
     ZONES(zones_sa), {40, 0, 90, 0, 5, 0, 0, 0}, false, AR_GIVEN, AR_FAMILY},
    {"IR", 200, "98", "0", "0NNN NNN NNNN", "+98 NNN NNN NNNN", 10, 0,
     L("912", "913", "915", "917", "919", "935", "936", "937", "938", "939", "901", "902", "990",
       "991"),
     ZONES(zones_ir), {85, 0, 45, 0, 0, 0, 0, 0}, false,
     L("Mohammad", "Zahra", "Ali", "Fatemeh", "Reza", "Maryam", "Hossein", "Sara"),
     L("Hosseini", "Ahmadi", "Mohammadi", "Rezaei", "Moradi", "Karimi", "Jafari")},
    {"PH", 300, "63", "0", "0NNN NNN NNNN", "+63 NNN NNN NNNN", 10, 0,
     L("905", "906", "915", "916", "917", "918", "926", "927", "935", "936", "945", "955", "977",
       "995", "998"),
     ZONES(zones_ph), {5, 0, 10, 0, 90, 45, 0, 0}, false,
     L("Juan", "Maria", "Jose", "Kristine", "Mark", "Mary Grace", "John Paul", "Angel"),
     L("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Dela Cruz")},
    {"MY", 200, "60", "0", "0NN-NNN NNNN", "+60 NN-NNN NNNN", 9, 1,
     L("12", "13", "16", "17", "19"),
     ZONES(zones_my), {25, 0, 92, 0, 20, 0, 10, 0}, false,
     L("Ahmad", "Nurul", "Muhammad", "Siti", "Wei Jie", "Mei Ling", "Hafiz", "Aisyah"),
     L("Abdullah", "Tan", "Lim", "Ibrahim", "Wong", "Ismail", "Lee", "Rahman")},
    {"DE", 250, "49", "0", "0NNN NNNNNNN", "+49 NNN NNNNNNN", 10, 0,
     L("170", "171", "172", "173", "174", "175", "176", "177", "178", "179"),
     ZONES(zones_de), {20, 0, 85, 0, 15, 0, 0, 0}, false,
     L("Lukas", "Anna", "Leon", "Marie", "Felix", "Sophie", "Jonas", "Laura"),
     L("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker")},
    {"GB", 200, "44", "0", "0NNNN NNNNNN", "+44 NNNN NNNNNN", 10, 0,
     L("71", "72", "73", "771", "772", "773", "774", "775", "776", "777", "790", "792", "795",
       "796", "797"),
     ZONES(zones_gb), {12, 0, 85, 0, 30, 0, 0, 0}, false,
     L("Oliver", "Olivia", "Harry", "Amelia", "George", "Isla", "Jack", "Emily"),
     L("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans")},
};

const uint32_t gen_n_countries = (uint32_t)(sizeof gen_countries / sizeof gen_countries[0]);

/* ------------------------------------------------------------------ phones */

size_t gen_phone_nsn(const gen_country *c, const gen_zone *z, uint64_t h, char out[GEN_NSN_MAX])
{
    const char *prefix;
    size_t n, plen;
    gen_rng r = {h};

    if (c->prefixes.n)
        prefix = c->prefixes.v[gen_below(&r, c->prefixes.n)];
    else
        prefix = z->areas.v[gen_below(&r, z->areas.n)];
    plen = strlen(prefix);
    memcpy(out, prefix, plen);
    n = plen;
    out[n++] = (char)('0' + c->min_next + gen_below(&r, 10u - c->min_next));
    while (n < c->nsn_len)
        out[n++] = (char)('0' + gen_below(&r, 10));
    out[n] = '\0';
    return n;
}

/* Fills the N slots of pattern fmt with the digits of nsn. */
static size_t fill_pattern(const char *fmt, const char *nsn, char out[GEN_PHONE_MAX])
{
    size_t n = 0;
    for (const char *f = fmt; *f && n + 1 < GEN_PHONE_MAX; f++)
        out[n++] = *f == 'N' ? *nsn++ : *f;
    out[n] = '\0';
    return n;
}

size_t gen_phone_format(const gen_country *c, const char *nsn, int style, char out[GEN_PHONE_MAX])
{
    size_t n = 0, cl, tl, sl = strlen(nsn);

    switch (style) {
    case GEN_PHONE_E164:
        cl = strlen(c->cc);
        out[n++] = '+';
        memcpy(out + n, c->cc, cl);
        n += cl;
        memcpy(out + n, nsn, sl);
        n += sl;
        break;
    case GEN_PHONE_INTL_GROUPED:
        return fill_pattern(c->intl_fmt, nsn, out);
    case GEN_PHONE_NATIONAL:
        tl = strlen(c->trunk);
        memcpy(out, c->trunk, tl);
        n = tl;
        memcpy(out + n, nsn, sl);
        n += sl;
        break;
    default:
        return fill_pattern(c->national_fmt, nsn, out);
    }
    out[n] = '\0';
    return n;
}

size_t gen_phone_invalid(const gen_country *c, uint64_t h, char out[GEN_PHONE_MAX])
{
    static const char *const words[] = {"n/a", "unknown", "none", "-", "000", "0000000000"};
    gen_rng r = {h};
    size_t n = 0, len;

    switch (gen_below(&r, 4)) {
    case 0: { /* a word or a placeholder */
        const char *w = words[gen_below(&r, 6)];
        len = strlen(w);
        memcpy(out, w, len);
        out[len] = '\0';
        return len;
    }
    case 1: /* too short, national */
        len = 3;
        out[n++] = '0';
        for (size_t i = 0; i < len; i++)
            out[n++] = (char)('1' + gen_below(&r, 9));
        break;
    case 2: /* too short, international */
        out[n++] = '+';
        len = strlen(c->cc);
        memcpy(out + n, c->cc, len);
        n += len;
        out[n++] = ' ';
        for (size_t i = 0; i < 3; i++)
            out[n++] = (char)('1' + gen_below(&r, 9));
        break;
    default: /* too long: a national number with extra digits */
        n = gen_phone_nsn(c, &c->zones[0], gen_next(&r), out);
        for (size_t i = 0; i < 4; i++)
            out[n++] = (char)('1' + gen_below(&r, 9));
        break;
    }
    out[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------ platform ids */

static size_t put_chars(char *out, uint64_t h, size_t count, const char *alphabet)
{
    for (size_t i = 0; i < count; i++) {
        if (i % 10 == 0 && i)
            h = gen_mix64(h + i);
        out[i] = alphabet[h & 63];
        h >>= 6;
    }
    return count;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
static const char hexdig[] = "0123456789abcdef";

/* Ids look like the real ones (LINE "U" + 32 hex, Viber base64, WeChat openid "o...")
 * and embed the 32-bit key bijectively, so that two users never share an id. */
size_t gen_platform_id(int platform, uint32_t key, char out[GEN_PID_MAX])
{
    uint64_t h = gen_mix64(key ^ UINT64_C(0x5bd1e9955bd1e995));
    size_t n = 0;

    switch (platform) {
    case GEN_P_TELEGRAM:
        n = gen_fmt_u64(out, UINT64_C(100000000) + key);
        break;
    case GEN_P_LINE:
        out[n++] = 'U';
        for (int i = 7; i >= 0; i--)
            out[n++] = hexdig[(key >> (4 * i)) & 15];
        for (int i = 0; i < 24; i++) {
            if (i == 16)
                h = gen_mix64(h);
            out[n++] = hexdig[(h >> (4 * (i % 16))) & 15];
        }
        break;
    case GEN_P_ZALO:
        n = gen_fmt_u64(out, UINT64_C(1000000000000000000) + (uint64_t)key * 1000000000u +
                                 h % 1000000000u);
        break;
    case GEN_P_MESSENGER:
        n = gen_fmt_u64(out, UINT64_C(1000000000000000) + (uint64_t)key * 100000u + h % 100000u);
        break;
    case GEN_P_VIBER:
        n = put_chars(out, key | (uint64_t)(h & 0xf) << 32, 6, b64);
        n += put_chars(out + n, h >> 4, 16, b64);
        out[n++] = '=';
        out[n++] = '=';
        break;
    case GEN_P_WECHAT:
        out[n++] = 'o';
        n += put_chars(out + n, key | (uint64_t)(h & 0xf) << 32, 6, b64url);
        n += put_chars(out + n, h >> 4, 21, b64url);
        break;
    default: /* qq (WhatsApp ids are phones: see gen_pop_whatsapp_id) */
        n = gen_fmt_u64(out, UINT64_C(10000) + key);
        break;
    }
    out[n] = '\0';
    return n;
}
