"""The deterministic inventory: which numbers are for sale, generated on demand from the seed.

Nothing is built up front. A country's inventory is a handful of *blocks*: a prefix plus a few
free digits, of which a seeded sample is for sale. A block's numbers are generated (and checked
with libphonenumber) the first time a search or purchase needs them, then cached. Blocks of one
country never share a prefix with each other, so walking them in prefix order walks the country's
numbers in order without a merge. Owned numbers are not stored here: the caller passes them in and
they are skipped, so a released number is for sale again.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder

from orbitctl.sandbox import countries

LOCAL_KINDS = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
MOBILE_KINDS = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
TOLL_FREE_KINDS = frozenset({PhoneNumberType.TOLL_FREE})
KINDS = {"local": LOCAL_KINDS, "mobile": MOBILE_KINDS, "toll_free": TOLL_FREE_KINDS}

#: How many numbers of a block's 10,000 slots are for sale.
BLOCK_SIZE = {"local": 250, "mobile": 300, "toll_free": 250, "short_code": 60}
FREE_DIGITS = 4
BLOCKS_PER_AREA = 2
#: Length of a local national number where libphonenumber's example is not the typical one.
LOCAL_NSN_LENGTHS = {"DE": (10,), "AT": (10,), "IE": (8, 9), "SE": (8, 9)}


@dataclass(frozen=True)
class Block:
    """A run of numbers for sale: ``prefix`` then ``width`` free digits in ``range(lo, hi)``."""

    country: str
    type: str
    prefix: str  # what every number of the block starts with, "+" included for E.164
    width: int
    lo: int
    hi: int
    size: int | None  # how many slots are for sale (a seeded sample); None: all of them
    area_code: str | None
    region: str | None

    @property
    def e164(self) -> bool:
        return self.prefix.startswith("+")

    @property
    def length(self) -> int:
        return len(self.prefix) + self.width


@dataclass(frozen=True)
class Row:
    """One number for sale, as GET /numbers/available shows it."""

    id: str
    number: str
    country: str
    type: str
    region: str | None
    area_code: str | None
    capabilities: tuple[str, ...]
    monthly_cost: str
    currency: str
    placeholder: bool

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "country": self.country,
            "type": self.type,
            "region": self.region,
            "capabilities": list(self.capabilities),
            "monthly_cost": self.monthly_cost,
            "currency": self.currency,
        }
        if self.placeholder:
            row["placeholder"] = True
        return row


def home_country(number: str, country: str) -> str | None:
    """The country ``number`` belongs to, or None when libphonenumber finds it invalid."""
    return _classify(number, country)[0]


def _countries_selling(number: str) -> tuple[str, ...]:
    """The countries whose inventory could hold the E.164 ``number``: its own, and every NANP
    country selling toll-free numbers for a NANP toll-free one."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    region = phonenumbers.region_code_for_number(parsed)
    if parsed.country_code == 1 and phonenumbers.number_type(parsed) == PhoneNumberType.TOLL_FREE:
        return tuple(country for country in countries.TOLL_FREE if phonenumbers.country_code_for_region(country) == 1)
    return (region,) if region else ()


def is_valid_e164(number: str, country: str, kinds: Collection[int]) -> bool:
    """True when libphonenumber finds ``number`` valid, in ``country`` and of one of ``kinds``."""
    home, kind = _classify(number, country)
    return home == country and kind in kinds


def _classify(number: str, country: str) -> tuple[str | None, int | None]:
    """(home country, type) of ``number``; (None, None) when it is invalid.

    NANP toll-free numbers belong to no one country (libphonenumber files them under US), so one
    belongs to ``country`` when that is a NANP country: any of them may sell it."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None, None
    if not phonenumbers.is_valid_number(parsed):
        return None, None
    kind = phonenumbers.number_type(parsed)
    if (
        kind == PhoneNumberType.TOLL_FREE
        and parsed.country_code == 1
        and phonenumbers.country_code_for_region(country) == 1
    ):
        return country, kind
    return phonenumbers.region_code_for_number(parsed), kind


class Inventory:
    """The numbers for sale for one seed. Thread-safe; every cache is filled on first use."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._blocks: dict[str, tuple[Block, ...]] = {}
        self._numbers: dict[Block, tuple[list[str], frozenset[str]]] = {}
        #: (country, number) -> what it offers, for numbers of blocks with partial capabilities
        self._offered: dict[tuple[str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    # --- queries ---------------------------------------------------------------------------

    def search(
        self,
        country: str,
        *,
        number_type: str | None = None,
        area_code: str | None = None,
        contains: str | None = None,
        capabilities: Iterable[str] = (),
        is_owned: Callable[[str], bool] = lambda number: False,
        limit: int = 100,
    ) -> list[Row]:
        """Numbers for sale matching every filter, ordered by number, at most ``limit``."""
        wanted = set(capabilities)
        rows: list[Row] = []
        for block in self.blocks(country):
            if number_type is not None and block.type != number_type:
                continue
            if area_code is not None and block.area_code != area_code:
                continue
            common = set(countries.capabilities_for(country, block.type))
            if not wanted <= common | set(self._partial(block)):
                continue
            by_number = not wanted <= common  # only some of the block's numbers have them all
            for number in self._block_numbers(block)[0]:
                if contains and contains not in number.lstrip("+"):
                    continue
                if is_owned(number):
                    continue
                offered = self._capabilities(block, number)
                if by_number and not wanted.issubset(offered):
                    continue
                rows.append(self._row(block, number, offered))
                if len(rows) >= limit:
                    return rows
        return rows

    def lookup(self, country: str, number: str) -> Row | None:
        """The inventory row of ``number`` in ``country`` (owned or not), or None."""
        for block in self.blocks(country):
            if len(number) == block.length and number.startswith(block.prefix):
                if number in self._block_numbers(block)[1]:
                    return self._row(block, number, self._capabilities(block, number))
                return None
        return None

    def held_by_another_account(self, number: str) -> bool:
        """Whether the E.164 ``number`` lies in one of Orbit's blocks but is not for sale: another
        Orbit customer holds it (a number outside every block is with some other carrier)."""
        for country in _countries_selling(number):
            for block in self.blocks(country):
                if len(number) == block.length and number.startswith(block.prefix):
                    slot = number[len(block.prefix) :]
                    return (
                        slot.isdigit()
                        and block.lo <= int(slot) < block.hi
                        and number not in self._block_numbers(block)[1]
                    )
        return False

    def row_id(self, country: str, number: str) -> str:
        digest = hashlib.blake2b(f"{self.seed}|{country}|{number}".encode(), digest_size=8)
        return "inv_" + digest.hexdigest()

    def blocks(self, country: str) -> tuple[Block, ...]:
        """The country's blocks in prefix order (so their numbers come out in number order)."""
        blocks = self._blocks.get(country)
        if blocks is None:
            blocks = self._build_blocks(country)
            with self._lock:
                self._blocks.setdefault(country, blocks)
        return blocks

    # --- rows ------------------------------------------------------------------------------

    def _partial(self, block: Block) -> dict[str, float]:
        """The capabilities some numbers of ``block`` offer, and the share that do (none in the
        page's example range, whose capabilities are the page's)."""
        if block.size is None:
            return {}
        return countries.PARTIAL_CAPABILITIES.get((block.country, block.type), {})

    def _capabilities(self, block: Block, number: str) -> tuple[str, ...]:
        """What ``number`` offers: its type's and country's, plus each partial capability whose
        seeded draw for the number falls within its share."""
        offered = countries.capabilities_for(block.country, block.type)
        partial = self._partial(block)
        if not partial:
            return offered
        cached = self._offered.get((block.country, number))
        if cached is not None:
            return cached
        for capability, share in partial.items():
            digest = hashlib.blake2b(f"{self.seed}|{capability}|{number}".encode(), digest_size=4).digest()
            if int.from_bytes(digest, "big") < share * 2**32:
                offered += (capability,)
        return self._offered.setdefault((block.country, number), offered)

    def _row(self, block: Block, number: str, capabilities: tuple[str, ...]) -> Row:
        return Row(
            id=self.row_id(block.country, number),
            number=number,
            country=block.country,
            type=block.type,
            region=block.region,
            area_code=block.area_code,
            capabilities=capabilities,
            monthly_cost=monthly_cost(block.country, block.type, number),
            currency=countries.CURRENCY,
            placeholder=block.country in countries.PLACEHOLDER,
        )

    def _block_numbers(self, block: Block) -> tuple[list[str], frozenset[str]]:
        cached = self._numbers.get(block)
        if cached is not None:
            return cached
        slots: Iterable[int] = range(block.lo, block.hi)
        if block.size is not None and block.size < block.hi - block.lo:
            rng = random.Random(f"{self.seed}|{block.country}|{block.type}|{block.prefix}")
            slots = sorted(rng.sample(range(block.lo, block.hi), block.size))
        numbers = [block.prefix + str(slot).zfill(block.width) for slot in slots]
        if block.e164:
            kinds = KINDS[block.type]
            numbers = [n for n in numbers if is_valid_e164(n, block.country, kinds)]
        cached = (numbers, frozenset(numbers))
        with self._lock:
            self._numbers.setdefault(block, cached)
        return cached

    # --- building a country's blocks --------------------------------------------------------

    def _build_blocks(self, country: str) -> tuple[Block, ...]:
        blocks: list[Block] = []
        if country in countries.LOCAL:
            blocks += self._local_blocks(country)
        if country in countries.MOBILE:
            blocks += self._derived_blocks(country, "mobile", PhoneNumberType.MOBILE, lead_digits=2)
        if country in countries.TOLL_FREE:
            blocks += self._toll_free_blocks(country)
        if country in countries.SHORT_CODE:
            for lead in countries.SHORT_CODE[country][1]:
                width = (5 if len(lead) == 2 else 6) - len(lead)
                blocks.append(
                    Block(country, "short_code", lead, width, 0, 10**width,
                          BLOCK_SIZE["short_code"], None, None)
                )
        return _prefix_free(sorted(blocks, key=lambda b: b.prefix))

    def _rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, *parts))))

    def _local_blocks(self, country: str) -> list[Block]:
        areas = countries.LOCAL[country][1]
        calling_code = str(phonenumbers.country_code_for_region(country))
        if areas is None:
            return self._derived_blocks(country, "local", PhoneNumberType.FIXED_LINE, lead_digits=0)
        blocks: list[Block] = []
        if calling_code == "1":
            for area, region in areas:
                # The fictional 555-01XX line range is always for sale (the page's +14155550100),
                # then two seeded exchanges above 555, so the 555 block sorts first.
                blocks.append(Block(country, "local", f"+1{area}55501", 2, 0, 100, None, area, region))
                rng = self._rng(country, "local", area)
                exchanges = [e for e in range(556, 1000) if e % 100 != 11]
                rng.shuffle(exchanges)
                picked: list[int] = []
                for exchange in exchanges:
                    if len(picked) == BLOCKS_PER_AREA:
                        break
                    if _samples_valid(f"+1{area}{exchange}", country, LOCAL_KINDS):
                        picked.append(exchange)
                for exchange in sorted(picked):
                    blocks.append(
                        Block(country, "local", f"+1{area}{exchange}", FREE_DIGITS, 0, 10**FREE_DIGITS,
                              BLOCK_SIZE["local"], area, region)
                    )
            return blocks
        lengths = LOCAL_NSN_LENGTHS.get(country) or (_example_length(country),)
        for area, region in areas:
            rng = self._rng(country, "local", area)
            for prefix in _find_prefixes(calling_code, country, area, lengths, LOCAL_KINDS, rng, taken=blocks):
                blocks.append(
                    Block(country, "local", prefix, FREE_DIGITS, 0, 10**FREE_DIGITS,
                          BLOCK_SIZE["local"], area, region)
                )
        return blocks

    def _derived_blocks(self, country: str, number_type: str, example_type: int, lead_digits: int) -> list[Block]:
        """Blocks near libphonenumber's example number of that type (its area code, if any)."""
        example = phonenumbers.example_number_for_type(country, example_type)
        if example is None:
            return []
        nsn = phonenumbers.national_significant_number(example)
        calling_code = str(example.country_code)
        area_length = phonenumbers.length_of_geographical_area_code(example) if number_type == "local" else 0
        area = nsn[:area_length] if area_length else None
        lead = area if area else nsn[: max(lead_digits, 1)]
        rng = self._rng(country, number_type)
        blocks = []
        for prefix in _find_prefixes(calling_code, country, lead, (len(nsn),), KINDS[number_type], rng, taken=()):
            region = _geocoded_region(prefix + "0" * FREE_DIGITS) if number_type == "local" else None
            blocks.append(
                Block(country, number_type, prefix, FREE_DIGITS, 0, 10**FREE_DIGITS,
                      BLOCK_SIZE[number_type], area, region)
            )
        return blocks

    def _toll_free_blocks(self, country: str) -> list[Block]:
        codes = countries.TOLL_FREE[country][1]
        if codes is None:
            return self._derived_blocks(country, "toll_free", PhoneNumberType.TOLL_FREE, lead_digits=3)
        blocks = []
        for code in codes:
            rng = self._rng(country, "toll_free", code)
            prefixes = _find_prefixes("1", country, code, (10,), TOLL_FREE_KINDS, rng, taken=(), count=1)
            for prefix in prefixes:
                blocks.append(
                    Block(country, "toll_free", prefix, FREE_DIGITS, 0, 10**FREE_DIGITS,
                          BLOCK_SIZE["toll_free"], code, None)
                )
        return blocks


def monthly_cost(country: str, number_type: str, number: str) -> str:
    """The monthly price: the country's price for the type, ten times that for a golden number."""
    if number_type == "local":
        base = countries.LOCAL[country][0]
    elif number_type == "mobile":
        base = countries.MOBILE[country]
    elif number_type == "toll_free":
        base = countries.TOLL_FREE[country][0]
    else:
        base = countries.SHORT_CODE[country][0]
    price = Decimal(base)
    if number.startswith("+") and len(set(number[-4:])) == 1:
        price *= countries.GOLDEN_MULTIPLIER
    return str(price.quantize(Decimal("0.01")))


def _example_length(country: str) -> int:
    example = phonenumbers.example_number_for_type(country, PhoneNumberType.FIXED_LINE)
    if example is None:
        raise ValueError(f"libphonenumber has no example fixed-line number for {country}")
    return len(phonenumbers.national_significant_number(example))


def _samples_valid(prefix: str, country: str, kinds: frozenset) -> bool:
    return all(is_valid_e164(prefix + tail, country, kinds) for tail in ("0000", "4826", "9999"))


def _find_prefixes(
    calling_code: str,
    country: str,
    lead: str,
    nsn_lengths: tuple[int, ...],
    kinds: frozenset,
    rng: random.Random,
    *,
    taken: Iterable[Block],
    count: int = BLOCKS_PER_AREA,
) -> list[str]:
    """Up to ``count`` seeded prefixes ``+<cc><lead><digits>`` whose numbers are valid and of
    ``kinds``, none of them a prefix of another or of a prefix already ``taken``."""
    found: list[str] = []
    existing = [block.prefix for block in taken]
    lengths = [n for n in nsn_lengths if n - FREE_DIGITS >= len(lead)]
    for _ in range(400 if lengths else 0):
        fill = rng.choice(lengths) - FREE_DIGITS - len(lead)
        prefix = f"+{calling_code}{lead}" + "".join(rng.choice("0123456789") for _ in range(fill))
        if any(p.startswith(prefix) or prefix.startswith(p) for p in existing + found):
            continue
        if _samples_valid(prefix, country, kinds):
            found.append(prefix)
            if len(found) == count:
                break
    return sorted(found)


def _geocoded_region(number: str) -> str | None:
    parsed = phonenumbers.parse(number, None)
    place = geocoder.description_for_number(parsed, "en")
    if not place or place == geocoder.country_name_for_number(parsed, "en"):
        return None
    return place


def _prefix_free(blocks: list[Block]) -> tuple[Block, ...]:
    """Drop any block whose prefix extends the previous kept one (sorted input)."""
    kept: list[Block] = []
    for block in blocks:
        if kept and block.prefix.startswith(kept[-1].prefix):
            continue
        kept.append(block)
    return tuple(kept)
