"""Caller-ID normalisation: whatever the PBX or a person wrote → E.164 and facts.

Every ringing call passes through :func:`normalise`, so it is pure, cached and
never raises. It returns a :class:`PhoneInfo`: the E.164 key the database
indexes phones by, the line type, the region, display formats, the place
(geocoder) and the range's carrier in the requested language.

What is accepted (after Unicode NFKC, so full-width ``１３８``/``＋`` work):

* digits with spaces, dots, dashes and parentheses: ``+86 138-0013-8000``,
  ``(+86) 13800138000``, ``010 8888 8888``, ``021-6288 8888``;
* international prefixes: ``+86…``, ``0086…``, and the home country code
  without ``+`` (``8613800138000``, ``861088888888``); foreign numbers need
  ``+`` or ``00`` (``0014155550123``), since ``14155550123`` is ambiguous;
* a trunk prefix ``0`` before a mobile (``013800138000``), as some PBXes send;
* ``tel:`` / ``sip:`` / ``sips:`` URIs (user part only, parameters dropped)
  and Asterisk's ``"Name" <number>`` caller-ID form;
* an outside-line prefix (``outside_prefixes=("9",)``): ``913800138000`` and
  ``9013800138000``. The number as written is tried first; the prefix is only
  stripped when that is not a valid number.

Anything else around the digits (letters, ``#``, ``ext 12``…) makes the value
``"invalid"``: digits are never fished out of free text.

Classification decisions:

* withheld numbers (``anonymous``, ``unknown``, ``<unknown>``, ``restricted``,
  ``private``, ``unavailable``, ``withheld``, empty, ``None``,
  ``sip:anonymous@anonymous.invalid``) → kind ``"anonymous"``, ``e164`` None;
* 400 numbers (``4008001234``) are what libphonenumber says: ``"shared_cost"``
  (the caller pays a local rate); 800 numbers are ``"toll_free"``;
* service short numbers the region's short-number plan knows (``95588``,
  ``10086``, ``12315``, ``110``) → kind ``"short"``, ``e164`` ``"+8695588"``.
  That is a storage key, not a dialable E.164 number: dial it in national form
  (``info.national``). Other short strings (``1001``, an extension) → invalid;
* numbers where the plan cannot tell fixed from mobile (the US, Canada) →
  ``"other"``; pagers, personal numbers, UAN and voicemail → ``"other"``;
* ``place`` is the city/province for domestic numbers (``"北京市"``), "country
  city" for foreign ones (``"台湾地区 台北"``), ``""`` when only the home
  country is known; ``carrier`` is the range's original carrier (a ported
  number may have moved since).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, carrier, geocoder, shortnumberinfo, timezone

__all__ = ["PhoneInfo", "normalise", "search_keys", "digit_fragments", "describe", "KINDS"]

KINDS = (
    "mobile", "fixed_line", "toll_free", "voip", "shared_cost",
    "premium", "other", "short", "anonymous", "invalid",
)  # fmt: skip

MAX_RAW_LENGTH = 256
"""Longer values are invalid without further work (and are not cached)."""

_WITHHELD = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld",
     "blocked", "anonymous@anonymous.invalid", "private number", "no caller id"}
)  # fmt: skip
_TYPE_KIND = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.PREMIUM_RATE: "premium",
}
_CALLERID_ALL = re.compile(r'^(?:"[^"]*"|[^"<>]*)\s*<([^<>]*)>$')
_URI_SCHEME = re.compile(r"^(?:tel|sips?):", re.IGNORECASE)
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—−"})
_WRITTEN_NUMBER = re.compile(r"^\(?\+?\)?[0-9 \t\-.()]*$")
_KIND_LABELS = {
    "zh": {"mobile": "手机", "fixed_line": "固话", "toll_free": "免费电话", "voip": "网络电话",
           "shared_cost": "400 号码", "premium": "付费号码", "other": "其他号码", "short": "服务短号",
           "anonymous": "未显示号码", "invalid": "无效号码"},
    "en": {"mobile": "mobile", "fixed_line": "landline", "toll_free": "toll-free",
           "voip": "VoIP", "shared_cost": "shared-cost", "premium": "premium-rate",
           "other": "other", "short": "service short number", "anonymous": "withheld number", "invalid": "invalid number"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PhoneInfo:
    """What a raw caller ID means. ``e164`` is None when there is no usable number."""

    raw: str
    e164: str | None
    kind: str
    region: str | None
    national: str
    international: str
    place: str
    carrier: str
    time_zones: tuple[str, ...]

    @property
    def anonymous(self) -> bool:
        """True when the caller withheld the number (or the PBX did not get one)."""
        return self.kind == "anonymous"

    @property
    def usable(self) -> bool:
        """True when ``e164`` can be looked up, stored and called back."""
        return self.e164 is not None


def normalise(
    raw: str | None,
    *,
    region: str = "CN",
    outside_prefixes: tuple[str, ...] = (),
    lang: str = "zh",
) -> PhoneInfo:
    """Normalise one raw caller ID; never raises.

    ``region`` is the home region (numbers without a country code belong to
    it); ``lang`` selects the language of ``place`` and ``carrier``.

    >>> info = normalise("013800138000")
    >>> info.e164, info.kind, info.national, info.place, info.carrier
    ('+8613800138000', 'mobile', '138 0013 8000', '北京市', '中国移动')
    >>> normalise("0086 10 8888 8888", lang="en").place
    'Beijing'
    >>> normalise("sip:+14155550123@carrier").international
    '+1 415-555-0123'
    >>> normalise("913800138000", outside_prefixes=("9",)).e164
    '+8613800138000'
    >>> normalise("95588").e164, normalise("95588").kind
    ('+8695588', 'short')
    >>> normalise("<unknown>").anonymous, normalise(None).e164
    (True, None)
    >>> normalise("1380013800").kind
    'invalid'
    """
    if raw is not None and not isinstance(raw, str):
        raw = str(raw)
    if raw is not None and len(raw) > MAX_RAW_LENGTH:
        return _invalid(raw, "")
    try:
        return _normalise_cached(raw, region, tuple(outside_prefixes), lang)
    except Exception:  # pragma: no cover - the library must never take a call down
        return _invalid(raw or "", "")


def search_keys(text: str, *, region: str = "CN") -> list[str]:
    """E.164 candidates for what an agent typed in a search box.

    Any written form of a complete number gives its E.164 key; a complete
    foreign number typed without ``+`` is recognised too. Partial digit
    strings, short numbers and junk give ``[]``: the caller then does a
    digits ``LIKE`` search.

    >>> search_keys("138-0013-8000")
    ['+8613800138000']
    >>> search_keys("442079460000")
    ['+442079460000']
    >>> search_keys("0013"), search_keys("95588")
    ([], [])
    """
    info = normalise(text, region=region)
    if info.e164:
        return [] if _is_short_key(info) else [info.e164]
    if info.kind != "invalid" or not info.national.isdigit() or not 8 <= len(info.national) <= 15:
        return []
    other = normalise("+" + info.national, region=region)
    return [other.e164] if other.e164 and not _is_short_key(other) else []


def digit_fragments(text: str) -> list[str]:
    """Digit strings to look for inside stored E.164 numbers when a search is partial.

    The digits as typed (at least 4), plus, for a longer entry, the same without
    its trunk ``0`` (``010 8888`` → ``108888``) or international ``00`` prefix.

    >>> digit_fragments("0013 8000"), digit_fragments("010-8888"), digit_fragments("12")
    (['00138000'], ['0108888', '108888'], [])
    """
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    if len(digits) < 4:
        return []
    out = [digits]
    if digits.startswith("00") and len(digits) >= 10:  # 0086 10 8888…
        out.append(digits[2:])
    elif digits.startswith("0") and not digits.startswith("00") and len(digits) >= 7:  # 010 8888…
        out.append(digits[1:])
    return out


def describe(info: PhoneInfo, lang: str = "zh") -> str:
    """One display line: number, then kind, place and carrier when known.

    >>> describe(normalise("13800138000"))
    '138 0013 8000（手机，北京市，中国移动）'
    >>> describe(normalise("anonymous"), "en")
    'withheld number'
    """
    labels = _KIND_LABELS.get(_base_lang(lang), _KIND_LABELS["en"])
    if info.e164 is None:
        label = labels[info.kind] if info.kind in labels else info.kind
        return f"{label} {info.national}".strip()
    facts = [labels.get(info.kind, info.kind), info.place, info.carrier]
    inner = [f for f in facts if f]
    if _base_lang(lang) == "zh":
        return f"{info.national}（{'，'.join(inner)}）"
    return f"{info.national} ({', '.join(inner)})"


# --- internals -----------------------------------------------------------------


@lru_cache(maxsize=8192)
def _normalise_cached(raw: str | None, region: str, prefixes: tuple[str, ...], lang: str) -> PhoneInfo:
    text = _unwrap(raw or "")
    if text.lower() in _WITHHELD:
        return _anonymous(raw or "")
    if not _WRITTEN_NUMBER.match(text):
        return _invalid(raw or "", "")
    written = _compact(text)
    if not written.strip("+"):
        return _invalid(raw or "", written)
    for candidate in _candidates(written, prefixes):
        number = _parse(candidate, region)
        if number is None:
            continue
        if phonenumbers.is_valid_number(number):
            return _describe_valid(raw or "", number, region, lang)
        if _is_short_number(number, region):
            return _describe_short(raw or "", number)
    return _invalid(raw or "", written)


def _unwrap(text: str) -> str:
    """NFKC, then peel off ``"Name" <…>`` and ``tel:``/``sip:`` URI wrappers."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    match = _CALLERID_ALL.match(text)
    if match:
        text = match.group(1).strip()
    if _URI_SCHEME.match(text):
        text = _URI_SCHEME.sub("", text, count=1)
        text = re.split(r"[@;?]", text, maxsplit=1)[0]
        text = urllib.parse.unquote(text).strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def _compact(text: str) -> str:
    """Keep digits and a leading plus: ``(+86) 138-0013`` → ``+860138…``."""
    plus = "+" if "+" in text else ""
    return plus + re.sub(r"\D", "", text)


def _candidates(written: str, prefixes: tuple[str, ...]) -> list[str]:
    """The number as written, then with each outside-line prefix removed."""
    found = [written]
    if not written.startswith("+"):
        for prefix in prefixes:
            if prefix and written.startswith(prefix) and len(written) > len(prefix):
                found.append(written[len(prefix) :])
    return found


def _parse(candidate: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None


def _is_short_number(number: phonenumbers.PhoneNumber, region: str) -> bool:
    if number.country_code != phonenumbers.country_code_for_region(region):
        return False
    return bool(shortnumberinfo.is_valid_short_number_for_region(number, region))


def _is_short_key(info: PhoneInfo) -> bool:
    """True for the ``+86…`` key of a short number (not a real E.164 number)."""
    return info.kind == "short"


def _describe_valid(raw: str, number: phonenumbers.PhoneNumber, home: str, lang: str) -> PhoneInfo:
    number_type = phonenumbers.number_type(number)
    region = phonenumbers.region_code_for_number(number)
    zones = tuple(z for z in timezone.time_zones_for_number(number) if z != "Etc/Unknown")
    return PhoneInfo(
        raw=raw,
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        kind=_TYPE_KIND.get(number_type, "other"),
        region=region,
        national=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        place=_place(number, region, home, lang),
        carrier=_carrier(number, lang),
        time_zones=zones,
    )


def _describe_short(raw: str, number: phonenumbers.PhoneNumber) -> PhoneInfo:
    national = phonenumbers.national_significant_number(number)
    return PhoneInfo(
        raw=raw,
        e164=f"+{number.country_code}{national}",
        kind="short",
        region=phonenumbers.region_code_for_country_code(number.country_code),
        national=national,
        international=f"+{number.country_code} {national}",
        place="",
        carrier="",
        time_zones=(),
    )


def _place(number: phonenumbers.PhoneNumber, region: str | None, home: str, lang: str) -> str:
    code, script = _lang_parts(lang)
    if region == home:
        place = geocoder.description_for_number(number, code, script=script, region=home)
        country = geocoder.country_name_for_number(number, code, script=script)
        return "" if place == country else place
    country = geocoder.description_for_number(number, code, script=script, region=home)
    local = geocoder.description_for_number(number, code, script=script)
    return country if local in ("", country) else f"{country} {local}".strip()


def _carrier(number: phonenumbers.PhoneNumber, lang: str) -> str:
    code, script = _lang_parts(lang)
    return carrier.name_for_number(number, code, script=script)


def _lang_parts(lang: str) -> tuple[str, str | None]:
    """``"zh"`` → ("zh", None); ``"zh_Hant"``/``"zh-Hant"`` → ("zh", "Hant")."""
    parts = re.split(r"[-_]", lang or "en")
    script = parts[1] if len(parts) > 1 and len(parts[1]) == 4 else None
    return parts[0].lower() or "en", script


def _base_lang(lang: str) -> str:
    return _lang_parts(lang)[0]


def _anonymous(raw: str) -> PhoneInfo:
    return PhoneInfo(raw, None, "anonymous", None, "", "", "", "", ())


def _invalid(raw: str, written: str) -> PhoneInfo:
    return PhoneInfo(raw, None, "invalid", None, written, written, "", "", ())
