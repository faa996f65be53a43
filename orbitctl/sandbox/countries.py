"""The sandbox's catalogue: which countries offer which number types, at what price, with which
capabilities, and which countries are regulated or hand out placeholder rows.

Plain data, read by ``inventory.py``. Prices are monthly, in the account's billing currency (USD),
as decimal strings.
"""

from __future__ import annotations

CURRENCY = "USD"

NUMBER_TYPES = ("local", "toll_free", "mobile", "short_code")

#: Local (geographic) numbers: country -> (monthly price, hand-picked areas or None).
#: Areas are (area code as dialled after the country code, region). ``None`` derives one area from
#: libphonenumber's example number for the country (its area code and geocoded place, if any).
LOCAL: dict[str, tuple[str, tuple[tuple[str, str], ...] | None]] = {
    "US": (
        "1.50",
        (
            ("415", "California"), ("213", "California"), ("310", "California"),
            ("212", "New York"), ("646", "New York"), ("718", "New York"),
            ("312", "Illinois"), ("617", "Massachusetts"), ("305", "Florida"),
            ("786", "Florida"), ("512", "Texas"), ("713", "Texas"), ("214", "Texas"),
            ("206", "Washington"), ("503", "Oregon"), ("303", "Colorado"), ("404", "Georgia"),
            ("702", "Nevada"), ("602", "Arizona"), ("202", "District of Columbia"),
            ("215", "Pennsylvania"), ("313", "Michigan"), ("612", "Minnesota"),
            ("615", "Tennessee"), ("704", "North Carolina"), ("801", "Utah"),
        ),
    ),
    "CA": (
        "1.50",
        (
            ("416", "Ontario"), ("647", "Ontario"), ("613", "Ontario"),
            ("604", "British Columbia"), ("514", "Quebec"), ("403", "Alberta"),
            ("204", "Manitoba"), ("902", "Nova Scotia"),
        ),
    ),
    "PR": ("1.50", (("787", "Puerto Rico"),)),
    "GB": (
        "1.25",
        (
            ("20", "London"), ("161", "Manchester"), ("121", "Birmingham"), ("131", "Edinburgh"),
            ("141", "Glasgow"), ("113", "Leeds"), ("117", "Bristol"), ("151", "Liverpool"),
            ("29", "Cardiff"), ("28", "Belfast"),
        ),
    ),
    "IE": ("1.75", (("1", "Dublin"), ("21", "Cork"), ("91", "Galway"))),
    "AU": (
        "3.00",
        (("2", "New South Wales"), ("3", "Victoria"), ("7", "Queensland"), ("8", "Western Australia")),
    ),
    "NZ": ("3.00", (("9", "Auckland"), ("4", "Wellington"), ("3", "Christchurch"))),
    "DE": (
        "1.50",
        (
            ("30", "Berlin"), ("40", "Hamburg"), ("89", "Munich"), ("69", "Frankfurt am Main"),
            ("221", "Cologne"), ("211", "Düsseldorf"), ("711", "Stuttgart"),
        ),
    ),
    "FR": (
        "1.50",
        (("1", "Île-de-France"), ("2", "Nord-Ouest"), ("3", "Nord-Est"), ("4", "Sud-Est"), ("5", "Sud-Ouest")),
    ),
    "IT": ("1.75", (("02", "Milan"), ("06", "Rome"), ("011", "Turin"), ("081", "Naples"))),
    "ES": ("1.50", (("91", "Madrid"), ("93", "Barcelona"), ("96", "Valencia"))),
    "PT": ("1.50", (("21", "Lisbon"), ("22", "Porto"))),
    "NL": ("1.50", (("20", "Amsterdam"), ("10", "Rotterdam"), ("70", "The Hague"), ("30", "Utrecht"))),
    "BE": ("1.50", (("2", "Brussels"), ("3", "Antwerp"), ("9", "Ghent"))),
    "LU": ("2.00", None),
    "AT": ("1.75", (("1", "Vienna"), ("316", "Graz"), ("662", "Salzburg"))),
    "CH": ("2.50", (("44", "Zürich"), ("22", "Geneva"), ("31", "Bern"))),
    "DK": ("2.00", None),
    "SE": ("1.75", (("8", "Stockholm"), ("31", "Gothenburg"), ("40", "Malmö"))),
    "NO": ("2.00", None),
    "FI": ("2.00", (("9", "Helsinki"),)),
    "IS": ("3.00", None),
    "PL": ("1.75", (("22", "Warsaw"), ("12", "Kraków"))),
    "CZ": ("1.75", (("2", "Prague"),)),
    "SK": ("2.00", None),
    "HU": ("2.00", None),
    "RO": ("2.00", None),
    "BG": ("2.00", None),
    "GR": ("2.00", None),
    "HR": ("2.00", None),
    "SI": ("2.00", None),
    "EE": ("2.00", None),
    "LV": ("2.00", None),
    "LT": ("2.00", None),
    "CY": ("2.50", None),
    "MT": ("2.50", None),
    "TR": ("3.00", None),
    "IL": ("3.00", None),
    "AE": ("8.00", None),
    "SA": ("8.00", None),
    "ZA": ("2.50", (("11", "Johannesburg"), ("21", "Cape Town"), ("31", "Durban"))),
    "NG": ("5.00", None),
    "KE": ("5.00", None),
    "EG": ("6.00", None),
    "MA": ("6.00", None),
    "GH": ("6.00", None),
    "JP": ("4.50", (("3", "Tokyo"), ("6", "Osaka"), ("52", "Nagoya"))),
    "KR": ("5.00", None),
    "HK": ("4.00", None),
    "SG": ("4.00", None),
    "MY": ("4.00", None),
    "TH": ("5.00", None),
    "PH": ("5.00", None),
    "ID": ("5.00", None),
    "VN": ("6.00", None),
    "TW": ("5.00", None),
    "IN": ("4.00", (("11", "Delhi"), ("22", "Mumbai"), ("80", "Bengaluru"))),
    "PK": ("6.00", None),
    "MX": ("2.00", (("55", "Mexico City"), ("33", "Guadalajara"), ("81", "Monterrey"))),
    "BR": ("2.50", (("11", "São Paulo"), ("21", "Rio de Janeiro"), ("31", "Belo Horizonte"))),
    "AR": ("3.00", (("11", "Buenos Aires"),)),
    "CL": ("3.00", (("2", "Santiago"),)),
    "CO": ("3.00", None),
    "PE": ("3.00", None),
    "UY": ("4.00", None),
    "CR": ("4.00", None),
    "PA": ("4.00", None),
    "GT": ("4.00", None),
    "DO": ("3.00", (("809", "Dominican Republic"),)),
    "EC": ("4.00", None),
    "SV": ("4.00", None),
    "RS": ("3.00", None),
    "UA": ("3.00", None),
    "GE": ("4.00", None),
}

#: Mobile numbers: country -> monthly price. (No mobile type in the NANP: US/CA numbers are local.)
MOBILE: dict[str, str] = {
    "GB": "1.50", "IE": "2.00", "AU": "6.50", "NZ": "6.00", "DE": "2.50", "FR": "2.50",
    "IT": "3.00", "ES": "2.50", "PT": "2.50", "NL": "3.00", "BE": "3.00", "AT": "3.00",
    "CH": "4.00", "DK": "3.00", "SE": "3.00", "NO": "3.50", "FI": "3.00", "PL": "3.00",
    "CZ": "3.00", "HU": "3.50", "RO": "3.00", "GR": "3.50", "HR": "3.50", "EE": "3.00",
    "LT": "3.00", "LV": "3.00", "IL": "5.00", "ZA": "4.00", "NG": "8.00", "KE": "8.00",
    "JP": "9.00", "HK": "6.00", "SG": "6.00", "MY": "6.00", "PH": "6.00", "ID": "6.00",
    "IN": "5.00", "MX": "3.50", "BR": "4.00", "AR": "5.00", "CL": "4.50", "CO": "4.50",
    "PE": "4.50", "TR": "6.00", "TH": "6.00",
}

#: Toll-free numbers: country -> (monthly price, prefixes after the country code). NANP toll-free
#: codes are shared by the US and Canada, so each country here sells from its own codes.
TOLL_FREE: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "US": ("2.00", ("800", "833", "844", "855")),
    "CA": ("2.00", ("866", "877", "888")),
    "GB": ("2.50", None),
    "AU": ("15.00", None),
}

#: Short codes (5-6 digits, not E.164): country -> (monthly price, leading digits of each block).
#: A leading-digit string of 2 makes 5-digit codes, of 3 makes 6-digit codes.
SHORT_CODE: dict[str, tuple[str, tuple[str, ...]]] = {
    "US": ("1000.00", ("24", "37", "52", "68", "87", "311", "422", "733")),
    "CA": ("750.00", ("32", "45", "66", "345", "567")),
    "GB": ("500.00", ("60", "62", "70", "80", "81")),
}

#: Capabilities of every number of a type, and the countries where they differ.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "local": ("voice",),
    "mobile": ("sms", "voice"),
    "toll_free": ("voice",),
    "short_code": ("sms",),
}
CAPABILITIES_BY_COUNTRY: dict[tuple[str, str], tuple[str, ...]] = {
    ("US", "local"): ("sms", "voice", "mms"),
    ("CA", "local"): ("sms", "voice", "mms"),
    ("PR", "local"): ("sms", "voice", "mms"),
    ("DO", "local"): ("sms", "voice"),
    ("BE", "local"): ("sms", "voice"),
    ("SE", "local"): ("sms", "voice"),
    ("EE", "local"): ("sms", "voice"),
    ("LT", "local"): ("sms", "voice"),
    ("DE", "local"): ("voice", "fax"),
    ("AT", "local"): ("voice", "fax"),
    ("JP", "local"): ("voice", "fax"),
    ("US", "toll_free"): ("sms", "voice", "mms"),
    ("CA", "toll_free"): ("sms", "voice"),
    ("US", "short_code"): ("sms", "mms"),
    ("AU", "mobile"): ("sms", "voice", "mms"),
}

#: Capabilities only some numbers of a country and type offer, with the share of its numbers that
#: do; which numbers follows from the seed (``inventory.py``). Both are provisioned at purchase
#: only. The page's example range (NANP 555-01XX) keeps the page's capabilities.
PARTIAL_CAPABILITIES: dict[tuple[str, str], dict[str, float]] = {
    ("US", "local"): {"whatsapp": 0.5, "rcs": 0.25},
    ("US", "toll_free"): {"whatsapp": 0.5},
    ("CA", "local"): {"whatsapp": 0.5},
    ("GB", "mobile"): {"whatsapp": 0.75, "rcs": 0.5},
    ("DE", "mobile"): {"whatsapp": 0.75, "rcs": 0.25},
    ("ES", "mobile"): {"whatsapp": 0.75},
    ("NL", "mobile"): {"whatsapp": 0.75},
    ("IN", "mobile"): {"whatsapp": 0.75},
    ("BR", "mobile"): {"whatsapp": 0.75, "rcs": 0.5},
    ("MX", "mobile"): {"whatsapp": 0.75},
}

#: Countries whose numbers enter a regulatory hold unless bought with a covering compliance profile.
REGULATED = frozenset(
    {"AT", "BE", "CH", "DE", "DK", "ES", "FR", "GR", "IT", "JP", "NL", "PT", "TR", "AE", "SA"}
)

#: Countries whose inventory is carrier-allocated: every row is a placeholder, bought by its ``id``.
PLACEHOLDER = frozenset({"BR", "EG", "ID", "IN", "KE", "NG", "PH", "VN"})

#: A golden number (its last four digits all the same, e.g. ...7777) costs this many times more.
GOLDEN_MULTIPLIER = 10


def capabilities_for(country: str, number_type: str) -> tuple[str, ...]:
    """What every number of the type offers in the country (some offer more: PARTIAL_CAPABILITIES)."""
    return CAPABILITIES_BY_COUNTRY.get((country, number_type), CAPABILITIES[number_type])


def types_offered(country: str) -> tuple[str, ...]:
    """The number types the sandbox sells in ``country``, in the page's order."""
    offered = []
    if country in LOCAL:
        offered.append("local")
    if country in TOLL_FREE:
        offered.append("toll_free")
    if country in MOBILE:
        offered.append("mobile")
    if country in SHORT_CODE:
        offered.append("short_code")
    return tuple(offered)


def countries() -> tuple[str, ...]:
    return tuple(sorted(set(LOCAL) | set(MOBILE) | set(TOLL_FREE) | set(SHORT_CODE)))
