"""Redaction of personal data before a question is stored for analysis.

``redact(text)`` replaces phone numbers, e-mail addresses (also spelled out: "ahmad at gmail dot
com"), links, social-media handles and Telegram mentions, IBANs, German street addresses,
calendar dates, file numbers / ID numbers and (where a cue makes them detectable) names by the
placeholders ``[PHONE]``, ``[EMAIL]``, ``[URL]``, ``[HANDLE]``, ``[IBAN]``, ``[ADDRESS]``,
``[DATE]``, ``[FILE_NO]`` and ``[NAME]``. Everything else is returned unchanged. Phone numbers
are found by Google's libphonenumber (``phonenumbers``, region DE) and, as a fallback for
numbers it considers invalid, by the patterns below.

How it works: matching runs on a *working copy* of the text in which Eastern Arabic and Persian
digits are folded to ASCII and a few Arabic/Persian letter variants (ي/ی, ك/ک, أ/إ/آ/ا) and
invisible direction marks are unified. Every replacement is one character for one character,
so positions in the working copy are positions in the original text and the parts that are not
redacted come back exactly as written. The detectors run in a fixed priority order; a region
claimed by one detector is masked so that later detectors cannot match into it.

This is a heuristic, rule-based redactor. Known limits: names are only found after a cue
(``my name is``, ``I am``, ``ich bin``, ``Herr``, ``mein Sohn`` ...); after "I am"-type cues only a
capitalised word that is not a nationality, religion or status ("I am Syrian", "Ich bin
Student") counts, and in Arabic and Persian (no capitals) only the explicit name cues
(``اسمي``, ``اسم من`` ...) do. Places ("from Kabul") are kept on purpose: without a name they do
not identify a person and the question log needs them. Addresses only in the German
street/postcode format; dates only as full day-month-year (or day-month right after a birth cue).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import phonenumbers

__all__ = ["redact"]

# --------------------------------------------------------------------------------------------
# Working-copy normalisation (strictly one character for one character)
# --------------------------------------------------------------------------------------------

_FOLD: Final[dict[int, str]] = {
    **{0x0660 + i: str(i) for i in range(10)},  # Eastern Arabic digits
    **{0x06F0 + i: str(i) for i in range(10)},  # Persian digits
    0x066B: ".",  # Arabic decimal separator
    0x066C: ",",  # Arabic thousands separator
    0x060D: "/",  # Arabic date separator
    0x064A: "ی",  # Arabic yeh -> Persian yeh
    0x0649: "ی",  # alef maksura -> Persian yeh
    0x0643: "ک",  # Arabic kaf -> Persian kaf
    0x0623: "ا",
    0x0625: "ا",
    0x0622: "ا",
    0x0671: "ا",
    0x00A0: " ",  # no-break space
    0x202F: " ",  # narrow no-break space
    0x2009: " ",  # thin space
    0x200E: " ",  # LRM
    0x200F: " ",  # RLM
    0x061C: " ",  # Arabic letter mark
    0x2010: "-",
    0x2011: "-",
    0x2012: "-",
    0x2013: "-",
    0x2212: "-",
    0x2019: "'",
    0x02BC: "'",
}
_TRANS: Final = str.maketrans(_FOLD)
_MASK: Final = "\x00"


_Trie = dict[str, "_Trie"]


def _phrases(items: Iterable[str]) -> str:
    """Case-insensitive alternation of literal phrases, folded like the working copy.

    The phrases are merged into a prefix tree so that the regex engine tries at most a few
    branches per position; whitespace inside a phrase matches any run of whitespace and an
    apostrophe is optional.
    """
    trie: _Trie = {}
    for item in items:
        node = trie
        for i, word in enumerate(item.translate(_TRANS).lower().split()):
            if i:
                node = node.setdefault(r"\s+", {})
            for ch in word:
                node = node.setdefault(r"'?\s?" if ch == "'" else re.escape(ch), {})
        node[""] = {}
    return "(?:" + _trie_regex(trie) + ")"


def _trie_regex(node: _Trie) -> str:
    alts = [atom + _trie_regex(child) for atom, child in sorted(node.items()) if atom]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return "(?:" + body + ")?" if "" in node else body


# Shared fragments ----------------------------------------------------------------------------

_NOT_UNIT = (
    r"(?![ \t]*(?:Uhr|h\b|Tage?n?\b|Wochen?\b|Monate?n?\b|Jahren?\b|Jahre\b|Minuten?\b|Stunden?\b"
    r"|Euro\b|EUR\b|€|%|Prozent|Mal\b|Personen\b|Menschen\b|days?\b|weeks?\b|months?\b|years?\b"
    r"|hours?\b|minutes?\b|euros?\b|times\b|people\b|persons\b|jours?\b|mois\b|ans?\b|semaines?\b"
    r"|gün\b|hafta\b|ay\b|yıl\b|saat\b|дн|недел|месяц|год|лет\b|час|євро|евро|روز|ماه|سال|ساعت"
    r"|یوم|ایام|اسبوع|شهر|سنة|سنوات|ساعة|یورو))"
)
_CURRENCY_AFTER = (
    r"(?![ \t]*(?:€|Euro|EUR|euros?|Dollar|USD|\$|Lira|TL|₺|Rubel|руб|грн|гривен|евро|євро|یورو"
    r"|دولار|لیرة|لیره|تومان|ریال|افغانی|dinar|دینار))"
)
_LETTER = r"[^\W\d_]"
_WORD = (
    _LETTER
    + r"(?:[^\W\d_]|[\u064B-\u065F\u0670])*(?:[\u200c'\-.](?=[^\W\d_])(?:[^\W\d_]|[\u064B-\u065F\u0670])+)*"
)

# --------------------------------------------------------------------------------------------
# E-mail, IBAN
# --------------------------------------------------------------------------------------------

_EMAIL: Final = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
_IBAN: Final = re.compile(
    r"(?<![\w])(?:[A-Z]{2}|[a-z]{2})[0-9]{2}(?:[ ]?[0-9A-Z]{4}){2,7}(?:[ ]?[0-9A-Z]{1,3})?(?![\w])"
)

# Links: with a scheme or "www.", Telegram/WhatsApp short links, or a bare domain with a
# common top-level domain (a link can carry a profile name or a tracking id, so every link goes).
_TLDS = (
    r"(?:com|de|org|net|info|eu|io|me|ru|ua|by|tr|fr|be|ch|at|nl|uk|ir|af|iq|sy|lb|jo|eg|ma|dz|tn"
    r"|sa|ae|pk|in|er|et|so|ng|gov|edu|co|app|biz|online|site|ly|gl|gg|to|tv|cc|ws)"
)
# A bare domain without a path only with a top-level domain that is not also a short word
# ("seit 2 Jahren.In Erfurt", "Termin.So" are typos, not links).
_BARE_TLDS = r"(?:com|de|org|net|info|eu|io|ru|ua|tr|fr|gov|edu|app|online|site|biz)"
_DOMAIN = r"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
_URL: Final = re.compile(
    r"(?i:(?<![\w@.-])(?:(?:https?|ftp)://|www\.|(?:t|wa)\.me/)[^\s<>\"'«»„“”]+"
    r"|" + _DOMAIN + _TLDS + r"(?![\w-])[/?#][^\s<>\"'«»„“”]*"
    r"|" + _DOMAIN + _BARE_TLDS + r"(?![\w-]))"
)
_URL_TRAIL = ".,;:!?)]}'\""
# @handles and Telegram mentions (5-32 characters); also "Instagram: ahmad_k99".
_HANDLE: Final = re.compile(
    r"(?<![\w@.+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?(?![\w@])"
    r"|(?i:(?<![^\W\d_])(?:instagram|insta|telegram|tiktok|facebook|fb|snapchat|snap|twitter|skype"
    r"|signal|viber|threads|username|user ?name|benutzername|pseudo|kullanıcı adı|ник|нік|логин"
    r"|يوزر|یوزر|آیدی|ایدی|id تلگرام|تلگرام|تلغرام|انستا|انستغرام|اینستاگرام)[ \t]*[:=][ \t]*)"
    r"(?P<h>@?[A-Za-z0-9_][A-Za-z0-9_.]{1,30}[A-Za-z0-9_])(?![\w@])"
)
# Spelled-out e-mail addresses: "ahmad at gmail dot com", "ahmad (at) gmail (dot) com",
# "ahmad ät gmx punkt de", "ahmad arobase gmail point com", "ahmad собака mail точка ru",
# "ahmad ات gmail دات com" ... (the working copy has ي/ی and ك/ک folded).
_AT_WORDS = (
    r"(?:at|ät|a\.t\.|arobase|arroba|kuyruklu a|et işareti|собака|собачка|равлик|ет|эт"
    r"|ات|اَت|ایت|ات ساین|علامة ات)"
)
_DOT_WORDS = r"(?:dot|punkt|point|nokta|точка|крапка|دوت|دات|نقطة|نقطه|نقطه‌)"
_BRACKETED = r"[ \t]*[(\[{<][ \t]*{w}[ \t]*[)\]}>][ \t]*"
_SPELLED_AT = (
    "(?:" + _BRACKETED.replace("{w}", "(?:" + _AT_WORDS + "|@)") + r"|[ \t]+" + _AT_WORDS + r"[ \t]+"
    r"|[ \t]*@[ \t]*)"
)
_SPELLED_DOT = (
    "(?:" + _BRACKETED.replace("{w}", "(?:" + _DOT_WORDS + r"|\.)") + r"|[ \t]+" + _DOT_WORDS + r"[ \t]+|\.)"
)
_SPELLED_TLD = r"(?:" + _TLDS[3:-1] + r"|ком|کام|کوم|دی ای)"
_EMAIL_SPELLED: Final = re.compile(
    r"(?i:(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*" + _SPELLED_AT + r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:"
    + _SPELLED_DOT
    + r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*?"
    + _SPELLED_DOT
    + _SPELLED_TLD
    + r"(?![^\W_]))"
)

# --------------------------------------------------------------------------------------------
# File numbers / ID numbers after a cue word
# --------------------------------------------------------------------------------------------

_ID_CUES = _phrases(
    [
        "Az.",
        "Az",
        "AZ",
        "Aktenzeichen",
        "Akten-Zeichen",
        "Geschäftszeichen",
        "Gesch.-Z.",
        "Gesch.-Z",
        "Gesch.Z.",
        "Gesch. Z.",
        "Gz.",
        "GZ",
        "Kennziffer",
        "Kundennummer",
        "BAMF-Nummer",
        "BAMF-Nr.",
        "BAMF Nummer",
        "BAMF-Aktenzeichen",
        "AZR-Nummer",
        "AZR-Nr.",
        "AZR Nummer",
        "AZR",
        "file number",
        "file no.",
        "case number",
        "case no.",
        "reference number",
        "reference",
        "ref.",
        "Pass",
        "Passnr.",
        "Passnummer",
        "Pass-Nr.",
        "Reisepass",
        "Reisepassnummer",
        "passport",
        "passport number",
        "passport no.",
        "Ausweis",
        "Ausweisnummer",
        "Ausweis-Nr.",
        "Personalausweis",
        "Aufenthaltstitel",
        "eAT",
        "Kartennummer",
        "Dokumentennummer",
        "document number",
        "ID number",
        "ID",
        "residence permit",
        "residence card",
        "Steuer-ID",
        "Steuernummer",
        "Sozialversicherungsnummer",
        "Rentenversicherungsnummer",
        "Versicherungsnummer",
        "SV-Nummer",
        "numéro de dossier",
        "numéro de passeport",
        "passeport",
        "titre de séjour",
        "pasaport",
        "pasaport numaram",
        "pasaport numarası",
        "dosya numaram",
        "dosya numarası",
        "kimlik numaram",
        "kimlik",
        "паспорт",
        "номер паспорта",
        "номер паспорту",
        "номер дела",
        "номер справи",
        "رقم الملف",
        "رقم ملفي",
        "رقم القضية",
        "رقم جواز السفر",
        "رقم جوازي",
        "جواز السفر",
        "جواز سفري",
        "رقم الاقامة",
        "رقم اقامتي",
        "رقم الهوية",
        "شماره پرونده",
        "شماره پاسپورت",
        "پاسپورت",
        "شماره گذرنامه",
        "شماره اقامت",
        "lambarka baasaboorka",
        "baasaboor",
        "hejmara pasaportê",
        "pasaport",
        "د پاسپورت شمېره",
    ]
)
_ID_FILLER = (
    r"(?:[ \t]*(?:[:#№=.-]|n°|no\.?|nr\.?|number|nummer|numaram|numarası|numéro|num\.?|номер|is|ist|lautet"
    r"|est|ise|هو|است|رقم|شماره|:)[ \t]*|[ \t]+){0,4}?"
)
_ID_BODY = (
    r"(?:[0-9]{5,12}(?:[ ]?[-/][ ]?[0-9]{1,4})?(?![0-9])"  # 1234567-423, 5432109 - 475
    r"|[0-9]{1,2}[ ]?[A-Z]{1,2}[ ]?[0-9]{1,6}/[0-9]{2}(?![0-9])"  # court: 5 K 1234/21
    r"|(?=[A-Za-z0-9]{6,12}(?![A-Za-z0-9]))(?=(?:[A-Za-z]*[0-9]){2})[A-Za-z0-9]+"  # L01X00T47
    r"|[0-9]{2}[ ]?[0-9]{6}[ ]?[A-Z][ ]?[0-9]{3}(?![0-9])"  # pension insurance: 12 150187 M 123
    r"|(?=(?:[ ]?[0-9]){6})[0-9]{1,4}(?:[ ][0-9]{2,8}){1,4}(?![0-9]))"  # 45 06 123456, 12 345 678 901
)
_ID_CUE = r"(?i:(?<![\w])" + _ID_CUES + r"(?![^\W\d_]))"
_ID_CUED: Final = re.compile(_ID_CUE + _ID_FILLER + "(?P<id>" + _ID_BODY + ")" + _CURRENCY_AFTER)

# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_MONTHS = _phrases(
    [
        # German
        "Januar", "Jänner", "Februar", "März", "Maerz", "Marz", "April", "Mai", "Juni", "Juli",
        "August", "September", "Oktober", "November", "Dezember",
        "Jan", "Feb", "Mär", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Okt", "Nov", "Dez",
        # English
        "January", "February", "March", "May", "June", "July", "October", "December",
        "Mar", "Oct", "Dec",
        # French
        "janvier", "février", "fevrier", "mars", "avril", "juin", "juillet", "août", "aout",
        "septembre", "octobre", "novembre", "décembre", "decembre",
        # Turkish
        "Ocak", "Şubat", "Subat", "Mart", "Nisan", "Mayıs", "Mayis", "Haziran", "Temmuz",
        "Ağustos", "Agustos", "Eylül", "Eylul", "Ekim", "Kasım", "Kasim", "Aralık", "Aralik",
        # Russian (genitive and nominative)
        "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
        "октября", "ноября", "декабря",
        "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
        "октябрь", "ноябрь", "декабрь",
        # Ukrainian (genitive)
        "січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
        "жовтня", "листопада", "грудня",
        # Arabic (Gregorian, Egyptian/Gulf and Levantine names)
        "يناير", "فبراير", "مارس", "أبريل", "ابريل", "إبريل", "مايو", "يونيو", "يونيه", "يوليو",
        "يوليه", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
        "كانون الثاني", "كانون ثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب",
        "أيلول", "تشرين الأول", "تشرين اول", "تشرين الثاني", "تشرين ثاني", "كانون الأول",
        "كانون اول",
        # Persian (solar Hijri and Gregorian)
        "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی",
        "بهمن", "اسفند",
        "ژانویه", "فوریه", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر",
        "دسامبر",
        # Dari / Pashto (Afghan solar months)
        "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
        "وری", "غویی", "غبرګولی", "چنګاښ", "زمری", "وږی", "تله", "لړم", "لیندۍ", "مرغومی",
        "سلواغه", "کب",
        # Kurmanji
        "Çile", "Sibat", "Adar", "Nîsan", "Gulan", "Hezîran", "Tîrmeh", "Tebax", "Îlon", "Cotmeh",
        "Mijdar", "Kanûn",
        # Somali
        "Janaayo", "Febraayo", "Maarso", "Abriil", "Luulyo", "Agoosto", "Sebtembar", "Oktoobar",
        "Nofembar", "Diseembar",
    ]
)  # fmt: skip
_MONTHS_FIRST = _phrases(
    [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
        "Sep", "Sept", "Oct", "Nov", "Dec", "Januar", "Februar", "März", "Mai", "Juni", "Juli",
        "Oktober", "Dezember",
    ]
)  # fmt: skip
_YEAR = r"(?:19|20|13|14)[0-9]{2}(?![0-9])"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH_WORD = r"(?:(?:ماه|شهر)[ \t]+)?" + _MONTHS + r"\.?(?![^\W\d_])(?:[ \t]*/[ \t]*[^\W\d_]+)?"
_DATE_NUMERIC: Final = re.compile(
    r"(?<![0-9.,/-])(?P<a>[0-9]{1,2})[ ]?(?P<s>[./-])[ ]?(?P<b>[0-9]{1,2})[ ]?(?P=s)[ ]?"
    r"(?P<y>[0-9]{4}|[0-9]{2})(?![0-9]|[.,/-][0-9])"
)
_DATE_ISO: Final = re.compile(
    r"(?<![0-9.,/-])(?:19|20|13|14)[0-9]{2}(?P<s>[./-])(?:0?[1-9]|1[0-2])(?P=s)" + _DAY + r"(?![0-9])"
)
_DAY_SUFFIX = r"(?:\.|st|nd|rd|th|er|-?го|-?ого|-?е)?"
# "12. März 1990", "3 march 1985", "1er mars 1990", "15 آذار 1990", "15 مهر 1369"
_DATE_DAY_FIRST = (
    r"(?<![0-9])" + _DAY + _DAY_SUFFIX + r"[ \t.,-]*(?:of[ \t]+)?" + _MONTH_WORD + r"[ \t.,-]*" + _YEAR
)
# "March 3, 1985"
_DATE_MONTH_FIRST = (
    r"(?<![^\W\d_])" + _MONTHS_FIRST + r"\.?[ \t]+" + _DAY + r"(?:st|nd|rd|th)?,?[ \t]+" + _YEAR
)
_DATE_TEXT: Final = re.compile(r"(?i:" + _DATE_DAY_FIRST + "|" + _DATE_MONTH_FIRST + r")")
_BIRTH_CUES = _phrases(
    [
        "geboren am", "geboren", "geb.", "Geburtsdatum", "Geburtstag", "born on", "born",
        "date of birth", "DOB", "birthday", "né le", "née le", "date de naissance",
        "doğum tarihim", "doğum tarihi", "doğdum", "дата рождения", "родился", "родилась",
        "дата народження", "народився", "народилася", "تاريخ الميلاد", "تاريخ ميلادي", "مواليد",
        "ولدت في", "ولدت", "تاریخ تولد", "متولد", "تولد", "dhashay", "dhalasho",
        "roja jidayikbûnê", "hatim dinyayê", "زیږېدلی",
    ]
)  # fmt: skip
_DATE_BIRTH_PARTIAL: Final = re.compile(
    r"(?i:(?<![^\W\d_])" + _BIRTH_CUES + r")(?![^\W\d_])[ \t:,-]*(?:(?:am|on|le|في|در)[ \t]+)?"
    r"(?P<d>" + _DAY + r"[ ]?[./-][ ]?(?:0?[1-9]|1[0-2])\.?(?![0-9])"
    r"|(?i:" + _DAY + r"(?:\.|st|nd|rd|th|er)?[ \t]*(?:of[ \t]+)?" + _MONTH_WORD + r"))"
)

# --------------------------------------------------------------------------------------------
# File numbers without a cue
# --------------------------------------------------------------------------------------------

# BAMF file number: 7 digits, dash, 3 digits (office code); not part of a phone number.
_BAMF_NO: Final = re.compile(r"(?<![0-9+])(?<![0-9+][ /.-])[0-9]{7}[ ]?-[ ]?[0-9]{3}(?![0-9])")
# Court file number: "5 K 1234/21"
_COURT_NO: Final = re.compile(r"(?<![\w§])[0-9]{1,2} [A-Z]{1,2} [0-9]{1,6}/[0-9]{2}(?![0-9])")
_LONG_DIGITS: Final = re.compile(r"(?<![0-9])(?<![€$£])(?<![€$£] )[0-9]{7,}(?![0-9])" + _CURRENCY_AFTER)
# Upper-case letter/digit mix such as passport or card numbers: "L01X00T47", "Y123ABC45".
_ID_TOKEN: Final = re.compile(
    r"(?<![\w-])(?=[A-Z0-9]{8,12}(?![\w-]))(?=(?:[A-Z]*[0-9]){3})(?=[0-9]*[A-Z])[A-Z0-9]+"
)

# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

_PHONE: Final = re.compile(
    r"(?<![\w+])"
    r"(?:\+[ ]?[1-9][0-9]{0,3}|00[1-9][0-9]{0,3}|\([ ]?0[0-9]{1,5}[ ]?\)|0[1-9][0-9]{0,5})"
    r"(?:[ ]?[-/]?[ ]?\([ ]?[0-9]{1,5}[ ]?\))?"  # +49 (0) 176 ..., +7 (915) ...
    r"(?:[ ]?[-/.]?[ ]?[0-9]{1,10}){1,7}"
    r"(?![0-9])"
)
_PHONE_GROUP: Final = re.compile(r"[0-9]+")
_DIGIT: Final = re.compile(r"[0-9]")
_YEAR4: Final = re.compile(r"(?:19|20|13|14)[0-9]{2}")
_PHONE_CUES = _phrases(
    [
        "Tel.", "Tel", "Telefon", "Telefonnummer", "Tel.-Nr.", "Handy", "Handynummer", "Mobil",
        "Mobilnummer", "phone", "phone number", "mobile", "mobile number", "cell", "WhatsApp",
        "téléphone", "numéro de téléphone", "portable", "telefon numaram", "telefonum",
        "cep numaram", "numaram", "телефон", "номер телефона", "номер телефону", "мобильный",
        "رقم الهاتف", "رقم هاتفي", "رقم تلفوني", "رقمي", "هاتفي", "رقم الموبايل", "شماره تلفن",
        "شماره موبایل", "شماره‌ام", "شمارهام", "موبایل", "تلیفون", "lambarka taleefanka",
        "taleefan", "hejmara telefonê", "د تلیفون شمېره",
    ]
)  # fmt: skip
_PHONE_CUED: Final = re.compile(
    r"(?i:(?<![^\W\d_])" + _PHONE_CUES + r")(?![^\W\d_])"
    r"(?:[ \t]*(?:[:.,=-]|is|ist|lautet|est|هو|است)[ \t]*|[ \t]+){0,3}?"
    r"(?P<num>\+?[0-9](?:[ ]?[-/.]?[ ]?[0-9]){5,14})(?![0-9])"
)

# --------------------------------------------------------------------------------------------
# German addresses
# --------------------------------------------------------------------------------------------

_HOUSE_NO = (
    r"[ \t]*[0-9]{1,3}(?:[ ]?[a-zA-Z](?![\w]))?(?:[ ]?[-/][ ]?[0-9]{1,3}[a-z]?)?(?![0-9]|[.,][0-9])"
    + _NOT_UNIT
)
_STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|str(?![\w])|weg|gasse|platz|allee|ring|damm|ufer|chaussee|steig|pfad"
    r"|markt|graben|berg|anger|promenade|siedlung)"
)
_STREET_WORD = (
    r"(?:Straße|Strasse|Str\.|Str(?![\w])|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Markt|Anger)"
)
_STREET_WORD_HYPHEN = (
    r"(?:Straße|Strasse|Str\.|Str(?![\w])|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Steig|Pfad"
    r"|Markt|Graben|Berg|Anger|Promenade|Siedlung|Hof|Park|Passage)"
)
_UPPER = r"[A-ZÄÖÜ]"
_LOWER = r"[a-zäöüß]"
_STREET_FORMS = (
    # compound: Musterstraße 12, Bahnhofstr. 5a, Grünweg 3
    _UPPER + r"[\wäöüß\-]{2,}?" + _STREET_SUFFIX,
    # hyphenated: Karl-Marx-Allee 45, Juri-Gagarin-Ring 120
    _UPPER + r"[\wäöüß\-]*?-" + _STREET_WORD_HYPHEN,
    # typed in lower case: musterstrasse 7
    _LOWER + r"[\wäöüß\-]{2,}?(?:straße|strasse|str\.)",
    # adjective + street word: Weimarische Str 10, Erfurter Straße 5, Alte Gasse 2
    _UPPER + _LOWER + r"+(?:e|er|es|en)[ \t]+" + _STREET_WORD,
    # street word + genitive: Straße der Einheit 4, Platz der Republik 1
    _STREET_WORD + r"[ \t]+(?:der|des|am|an der|zum|zur)[ \t]+" + _UPPER + r"[\wäöüß\-]+",
)
_STREET: Final = re.compile(r"(?<![\w-])(?:" + "|".join(_STREET_FORMS) + ")" + _HOUSE_NO)
_NOT_NOUN_AFTER = r"(?![ \t]+" + _UPPER + _LOWER + ")"
_PREP_STREET: Final = re.compile(
    r"(?<![\w-])(?:Am|An der|An den|Auf der|Auf dem|Auf den|Im|In der|In den|Zum|Zur|Hinter der"
    r"|Hinter dem|Hinter den|Unter den|Vor dem|Beim|Alt|Alte|Alter)[ \t]+"
    r"(?!(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Wochenende|Anfang|Ende|Tag"
    r"|Jahr|Monat|Moment|Termin|Beispiel|Zeit|Januar|Februar|März|April|Mai|Juni|Juli|August"
    r"|September|Oktober|November|Dezember|Abend|Morgen|Mittag|Vormittag|Nachmittag|Schnitt|Rahmen"
    r"|Fall|Jobcenter|Amt|Monatsende|Kapitel|Absatz|Paragraph|Paragraf|Alter|Durchschnitt|Prinzip"
    r"|Jahre|Jahren|Tage|Zimmer|Raum|Büro|Haus|Stock|Schalter|Gebäude|Notfall|Bereich|Sommer|Winter"
    r"|Frühling|Herbst|Urlaub|Kurs|Unterricht|Heim|Lager|Camp|Krankenhaus|Internet|Brief|Bescheid"
    r"|Formular|Antrag|Pass|Ausweis|Land|Ausland|Inland|Vertrag|Gespräch|Interview|Anhörung|Gesetz"
    r"|Text|Punkt|Satz|Teil|Bus|Zug|Auto|Flugzeug|Voraus|Allgemeinen|Ganzen|Laufe|Zuge|Auftrag"
    r"|Namen|Rahmen|Sinne|Vergleich|Zeitraum|Quartal|Semester|Schuljahr|Alltag|Netz|Wartezimmer"
    r"|Wartebereich|Erdgeschoss|Obergeschoss|Stockwerk|Sekretariat|Team|Moment|Zweifel)(?![\w]))"
    + _UPPER
    + r"[\wäöüß\-]+(?![ \t]*11[02](?![0-9]))"  # not "Im Notfall 110"
    + _HOUSE_NO
    + _NOT_NOUN_AFTER
)
_POSTCODE: Final = re.compile(
    r"(?<![\w.,€$])(?:D-)?(?:0[1-9]|[1-9][0-9])[0-9]{3}[ \t]+"
    r"(?!(?:Euro|EUR|Dollar|Menschen|Personen|Leute|Flüchtlinge|Geflüchtete|Anträge|Fälle|Kinder"
    r"|Stunden|Tage|Jahre|Monate|Wochen|Minuten|Kilometer|Km|Meter|Mal|Seiten|Zeichen|Euros"
    r"|People|Persons|Refugees|Applications|Cases|Jobs|Stellen|Plätze|Mitarbeiter|Einwohner"
    r"|Евро|Євро|Люд|Человек)(?![\w]))"
    r"(?:(?:Bad|Sankt|St\.)[ \t]+)?[A-ZÄÖÜА-ЯЁІЇЄҐ][\wäöüß]+"
    r"(?:[ \t]*(?:am|an der|ob der|/)[ \t]*[A-ZÄÖÜ][\wäöüß]+|-[A-ZÄÖÜ][\wäöüß]+|[ \t]*\([A-ZÄÖÜ][\wäöüß]+\))?"
)
_POSTCODE_CUED: Final = re.compile(
    r"(?i:(?<![\w])(?:PLZ|Postleitzahl|post ?code|zip(?: code)?|code postal|posta kodu|индекс"
    r"|поштовий індекс|الرمز البريدي|کد پستی))[ \t:]*(?:0[1-9]|[1-9][0-9])[0-9]{3}(?![0-9])"
)

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

# A cue after which the next word(s) are a name even when typed in lower case.
_NAME_CUES_STRONG = _phrases(
    [
        "my name is", "my name's", "my full name is", "my first name is", "my last name is",
        "my surname is", "my family name is", "i am called", "i'm called", "they call me",
        "ich heiße", "ich heisse", "ich heiss", "mein Name ist", "mein Name lautet",
        "mein Vorname ist", "mein Nachname ist", "mein Familienname ist",
        "je m'appelle", "je m appelle", "mon nom est", "mon prénom est", "mon nom de famille est",
        "benim adım", "benim adim", "benim ismim", "ismim", "soyadım", "adım soyadım",
        "меня зовут", "моё имя", "мое имя", "моя фамилия", "мене звати", "моє ім'я",
        "моє прізвище", "мене звуть",
        "اسمي", "إسمي", "واسمي", "انا اسمي", "أنا اسمي", "اسمي هو", "اسم ابني", "اسم ابنتي",
        "اسم زوجتي", "اسم زوجي", "اسم من", "نام من", "اسمم", "نامم", "نام خانوادگی من",
        "اسم پسرم", "اسم دخترم", "اسم همسرم", "اسم شوهرم", "اسم خانمم",
        "زما نوم", "نوم مې", "زما د زوی نوم", "زما د لور نوم",
        "magacaygu waa", "magacayga waa", "magacaygu", "magacayga", "magacaa",
        "navê min", "nave min", "navê min ev e", "ناوم", "ناوی من",
        "ስመይ", "ሽመይ",
    ]
)  # fmt: skip
# Labels "Name: ..." also count as strong cues.
_NAME_LABELS = _phrases(
    [
        "Name", "Vorname", "Nachname", "Familienname", "full name", "first name", "last name",
        "surname", "Nom", "Prénom", "Ad", "Soyad", "Ad Soyad", "Adı", "Soyadı", "Имя", "Фамилия",
        "ФИО", "Ім'я", "Прізвище", "الاسم", "الإسم", "نام", "نام خانوادگی", "Magac", "Nav",
    ]
)  # fmt: skip
_NAME_STRONG: Final = re.compile(
    r"(?i:(?<![^\W\d_])(?:" + _NAME_CUES_STRONG + r"(?![^\W\d_])|" + _NAME_LABELS + r"[ \t]*:))"
)
# A cue after which only a capitalised word counts as a name.
_NAME_CUES_WEAK = _phrases(
    [
        # salutations
        "Herr", "Herrn", "Frau", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Miss", "Mister",
        "Monsieur", "Madame", "Mme", "Mlle", "Sayın",
        "господин", "госпожа", "г-н", "г-жа", "пан", "пані", "السيد", "السيدة", "آقای", "خانم",
        # family members followed by a name
        "mein Sohn", "meine Tochter", "meine Frau", "mein Mann", "meine Ehefrau", "mein Ehemann",
        "mein Bruder", "meine Schwester", "mein Kind", "meine Mutter", "mein Vater",
        "mein Neffe", "meine Nichte", "mein Enkel", "meine Enkelin", "mein Cousin",
        "meine Cousine", "mein Onkel", "meine Tante", "mein Partner", "meine Partnerin",
        "my son", "my daughter", "my wife", "my husband", "my brother", "my sister", "my child",
        "my mother", "my father", "my mom", "my dad", "my nephew", "my niece", "my cousin",
        "my uncle", "my aunt", "my partner", "my fiancé", "my fiancée",
        "mon fils", "ma fille", "ma femme", "mon mari", "mon épouse", "mon époux", "mon frère",
        "ma sœur", "ma soeur", "ma mère", "mon père", "mon enfant", "mon neveu", "ma nièce",
        "oğlum", "kızım", "eşim", "karım", "kocam", "annem", "babam", "kardeşim", "ablam",
        "abim",
        "мой сын", "моя дочь", "моя жена", "мой муж", "мой брат", "моя сестра", "мой ребёнок",
        "мой ребенок", "моя мать", "мой отец", "моя мама", "мой папа",
        "мій син", "моя донька", "моя дочка", "моя дружина", "мій чоловік", "мій брат",
        "моя сестра", "моя мати", "мій батько", "моя мама", "мій тато",
        "зовут", "звати", "звуть", "adım", "adim",
        "wiilkayga", "gabadhayda", "xaaskayga", "ninkayga", "walaalkay", "walaashay",
        "kurê min", "keça min", "jina min", "mêrê min", "birayê min", "xwişka min",
    ]
)  # fmt: skip
_NAME_WEAK: Final = re.compile(
    r"(?i:(?<![^\W\d_])" + _NAME_CUES_WEAK + r")(?![^\W\d_])(?:[ \t]+(?:Dr|Prof|Dr\. med)\.?)?"
)
# "I am Ahmad Karimi", "Ich bin Samir", "Je suis Amina", "Ben Mehmet", "Я Олег": only a
# capitalised word counts, and not one of the words people use to say what (not who) they are.
_NAME_CUES_SELF = _phrases(
    [
        "I am", "call me", "you can call me", "ich bin", "hier ist",
        "hier spricht", "hier schreibt", "je suis", "moi c'est", "je me nomme",
        "je me prénomme", "ben", "я", "меня звать", "зовусь", "мене кличуть", "звуся",
    ]
)  # fmt: skip
# "I'm" separately: with the apostrophe optional it would also match German "Im".
_NAME_SELF: Final = re.compile(r"(?<![^\W\d_])(?:[Ii]'m|(?i:" + _NAME_CUES_SELF + r"))(?![^\W\d_])")
_SELF_NOT_NAMES = """
    syrian afghan afghani iraqi iranian kurdish kurd turkish turk ukrainian russian german eritrean
    somali ethiopian arab arabic persian muslim christian yazidi ezidi jewish catholic orthodox
    sunni shia african european asian palestinian lebanese egyptian moroccan algerian tunisian
    libyan sudanese nigerian pakistani indian georgian armenian chechen belarusian moldovan
    albanian serbian kosovar venezuelan colombian guinean gambian yemeni jordanian saudi hazara
    pashtun tajik uzbek roma sorry ok okay new single pregnant eu dublin
    syrer syrerin afghane afghanin iraker irakerin iraner iranerin kurde kurdin türke türkin
    ukrainer ukrainerin russe russin deutscher deutsche eritreer eritreerin somalier somalierin
    äthiopier äthiopierin araber araberin muslima christ christin jeside jesidin student
    studentin schüler schülerin flüchtling asylbewerber asylbewerberin mutter vater lehrer
    lehrerin arzt ärztin krankenschwester pfleger pflegerin azubi auszubildender auszubildende
    rentner rentnerin witwe witwer hausfrau hausmann ingenieur ingenieurin fahrer koch köchin
    friseur friseurin elektriker handwerker mitarbeiter mitarbeiterin angestellter angestellte
    selbstständig selbständig arbeitslos geflüchteter geflüchtete ausländer ausländerin
    staatsangehöriger staatsangehörige kunde kundin betreuer betreuerin sozialarbeiter
    sozialarbeiterin berater beraterin dolmetscher dolmetscherin praktikant praktikantin
    minderjährig minderjährige volljährig anfänger anfängerin eu-bürger eu-bürgerin
    schwanger alleinerziehend alleinerziehende verheiratet ledig geschieden neu opfer zeuge
    zeugin mitglied anfang mitte ende montag dienstag mittwoch donnerstag freitag samstag sonntag
    januar februar märz april mai juni juli august september oktober november dezember
    syrien syrienne afghane irakien irakienne iranien iranienne kurde turc turque ukrainien
    ukrainienne russe allemand allemande érythréen érythréenne somalien somalienne guinéen
    guinéenne malien malienne ivoirien ivoirienne sénégalais sénégalaise camerounais
    camerounaise congolais congolaise algérien algérienne marocain marocaine tunisien tunisienne
    musulman musulmane chrétien chrétienne français française africain africaine étudiant
    étudiante enceinte réfugié réfugiée demandeur demandeuse mère père
    türk kürt suriyeli afgan iraklı iranlı ukraynalı rus alman müslüman hristiyan ezidi
    öğrenci mülteci anne baba
    сириец украинец украинка русский русская немец немка студент студентка беженец беженка
    мать отец мама папа українець українка росіянин росіянка німець німкеня біженець біженка
    мати батько
"""
_SELF_NOT_NAME: Final = frozenset(_SELF_NOT_NAMES.split())
# German nouns of status/origin and Turkish "I am ..." endings: "Ich bin Studentin", "Ben Suriyeliyim".
_SELF_NOT_NAME_RE: Final = re.compile(
    r"(?:erin|ling|entin|antin|istin|eurin|ikerin|ierin|anerin|ländisch|ländischer)$"
    r"|(?:yim|yım|yum|yüm|lıyım|liyim|luyum|lüyüm)$|'"
)
_NAME_LEAD: Final = re.compile(r"[ \t]*(?:[:=,\-]|\"|«|„|“|')?[ \t]*")
_NAME_TOKEN: Final = re.compile(r"[ \t]*(" + _WORD + r")")
# German common nouns that may follow "mein Sohn" / "meine Frau" ("Kann mein Sohn Kindergeld ...").
_GERMAN_NOUN: Final = re.compile(
    r"(?:ung|heit|keit|schaft|tion|sion|tät|geld|kurs|schule|platz|erlaubnis|titel|antrag|pass"
    r"|ausweis|recht|visum|arbeit|karte|schein|termin|zeit|stelle|behörde|ismus|gnis|tnis|bnis"
    r"|rfnis|nachzug|hilfe|gericht|brief|bescheid|kindergarten|unterricht|papiere|dokumente?"
    r"|praktikum|studium|leistungen|amt|büro|zentrum|heim|wohnung|vertrag|nummer|gebühr)$"
    r"|^(?:kita|job|jobs|arbeit|probleme?|fragen?|deutsch|englisch|sprachkurs|hilfe|asyl|schutz"
    r"|duldung|post|geld|zeit|angst|fieber|termine?|kinder|krank|schwanger|hier|jetzt|heute"
    r"|morgen|gestern|schon|noch|auch|nicht|nur|bald|wieder|in|im|am|deutschland|germany|europa"
    r"|europe|syrien|syria|afghanistan|irak|iraq|iran|türkei|turkey|ukraine|russland|russia|eritrea"
    r"|somalia|äthiopien|ethiopia|libanon|lebanon|jordanien|jordan|ägypten|egypt|pakistan|erfurt"
    r"|berlin|thüringen|weimar|jena|gera|gotha|suhl|nordhausen|eisenach|school|visa|asylum|work"
    r"|english|german|arabic|kurdish|persian|french|turkish|russian|ukrainian|doktor|doctor|professor)$"
)

_STOP_WORDS = """
    a an and the i im i'm am is are was be not no yes from in on at of to for with my me and but
    or here there this that it he she we they you your his her please hello hi thanks thank
    who what when where why how can could would should will do does did have has had need want
    still also too already wrong incorrect misspelled spelled spelt written different same correct
    missing changed printed listed not spelt misspelt
    fehlerhaft verkehrt unvollständig falsche falschen geändert vertauscht
    faux fausse mal écrit incorrect erroné mauvais
    yanlış hatalı doğru eksik farklı yazılmış yazılı
    неправильно неверно неправильное написано ошибка ошибкой неправильне написане помилка помилкою
    خطا غلط خاطی مکتوب مختلف ناقص نادرست
    und ich bin ist sind war nicht kein keine aus in im am an auf bei mit von zu zum zur der die
    das den dem des ein eine einer mein meine meinen meinem mir mich er sie es wir ihr hier
    bitte hallo danke wie was wo wann warum wer kann könnte habe hat haben brauche möchte will
    noch auch schon falsch richtig anders geschrieben komme wohne lebe seit aber oder doch so
    je suis et de du la le les un une mais ou est pas ne mon ma mes il elle nous vous bonjour
    merci comment quand où pourquoi
    ve ben bu bir ne da de ile değil ama benim sen o biz siz merhaba nasıl neden nerede var yok
    ve ki mi mı
    и я мне меня из в у с не что как а но это мой моя мое моё он она мы вы они здравствуйте
    привет спасибо где когда почему кто тоже уже
    і й мені мене з в у не що як а але це мій моя моє він вона ми ви вони добрий день дякую де
    коли чому хто теж вже
    هو هی انا وانا من فی و عمری عمر عندی لدی ارید ابحث اعیش اسکن ساکن هل کیف ماذا لماذا متی
    عن الی مع ولدی وعندی وعمری لیس غیر مکتوب خطا غلط خاطی والدی والدتی زوجتی زوجی ابنی
    ابنتی وهو وهی کان کانت
    است هست هستم و من از در به با که را می میخواهم دارم ساله سال این آن او ما شما سلام لطفا
    چطور چرا کجا کی چی اشتباه
    دی ده دے یم زه او له په چې دا
    waa iyo ka ku waxaan waxay ahay aan oo haa maya
    e ye û ez ji min im me tu ew em hûn
    እዩ እየ
"""
_STOP: Final = frozenset(word.translate(_TRANS) for word in _STOP_WORDS.split())
_FILLER: Final = frozenset({"هو", "هی", "is", "ist", "lautet", "est", "است", "waa", "ev", "e"})
_PARTICLES: Final = frozenset(
    {"von", "van", "de", "da", "di", "al", "el", "bin", "ibn", "ben", "abu", "zu", "ul", "ud"}
)

# --------------------------------------------------------------------------------------------
# Implementation
# --------------------------------------------------------------------------------------------


def _case(word: str) -> str:
    first = word[0]
    if first.isupper():
        return "upper"
    if first.islower():
        return "lower"
    return "none"  # Arabic, Persian, Ethiopic ...


def _name_span(work: str, pos: int, *, weak: bool) -> tuple[int, int] | None:
    """Span of the name that starts at ``pos`` (right after a cue), or None."""
    lead = _NAME_LEAD.match(work, pos)
    if lead is not None:
        pos = lead.end()
    start = end = -1
    count = 0
    mode = ""
    filler_skipped = False
    limit = 3
    while count < limit:
        m = _NAME_TOKEN.match(work, pos)
        if m is None:
            break
        word = m.group(1)
        key = word.casefold().rstrip(".")
        case = _case(word)
        if count == 0:
            if key in _FILLER and not filler_skipped and not weak:
                filler_skipped = True
                pos = m.end()
                continue
            if key in _STOP or (weak and case == "lower"):
                return None
            if weak and case == "upper" and _GERMAN_NOUN.search(key):
                return None
            mode = case
            if mode == "lower" or (weak and mode == "none"):
                limit = 2
            start = m.start(1)
        else:
            if mode == "upper" and key in _PARTICLES:
                nxt = _NAME_TOKEN.match(work, m.end())
                if nxt is None or _case(nxt.group(1)) != "upper" or nxt.group(1).casefold() in _STOP:
                    break
                end = nxt.end(1)
                pos = nxt.end()
                count += 1
                continue
            if key in _STOP or case != mode or _GERMAN_NOUN.search(key):
                break
        end = m.end(1)
        pos = m.end()
        count += 1
    if start < 0:
        return None
    # A trailing abbreviation dot belongs to the sentence, not to the name.
    while end > start and work[end - 1] == ".":
        end -= 1
    return start, end


_Spans = list[tuple[int, int, str]]


def _claim(work: str, spans: _Spans, found: list[tuple[int, int]], label: str) -> str:
    """Record ``found`` (sorted, non-overlapping) under ``label`` and mask it in the working copy."""
    if not found:
        return work
    parts: list[str] = []
    last = 0
    for start, end in found:
        spans.append((start, end, label))
        parts.append(work[last:start])
        parts.append(_MASK * (end - start))
        last = end
    parts.append(work[last:])
    return "".join(parts)


def _phone_span(work: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Validate a phone candidate: 8..15 digits; drop trailing groups when there are too many."""
    groups = [(g.start(), g.end()) for g in _PHONE_GROUP.finditer(work, m.start(), m.end())]
    digits = sum(e - s for s, e in groups)
    while digits > 15 and len(groups) > 1:
        s, e = groups.pop()
        digits -= e - s
    if digits < 8 or digits > 15:
        return None
    return m.start(), groups[-1][1]


def _library_phones(work: str) -> list[tuple[int, int]]:
    """Phone numbers that libphonenumber accepts as valid (German numbers without a country code)."""
    found: list[tuple[int, int]] = []
    for match in phonenumbers.PhoneNumberMatcher(work, "DE", leniency=phonenumbers.Leniency.VALID):
        if sum(c.isdigit() for c in match.raw_string) >= 6:
            found.append((match.start, match.end))
    return found


def _simple(work: str, spans: _Spans, pattern: re.Pattern[str], label: str, group: int | str = 0) -> str:
    return _claim(work, spans, [m.span(group) for m in pattern.finditer(work)], label)


def _date_ok(m: re.Match[str]) -> bool:
    """Day and month in either order (dd.mm. or US mm/dd), both plausible."""
    a, b = int(m.group("a")), int(m.group("b"))
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def redact(text: str) -> str:
    """Return ``text`` with personal data replaced by placeholders such as ``[PHONE]``."""
    if not text:
        return text
    work = text.translate(_TRANS)
    spans: _Spans = []

    if "." in work:
        links = [(m.start(), m.end() - (len(m.group()) - len(m.group().rstrip(_URL_TRAIL))))
                 for m in _URL.finditer(work)]  # fmt: skip
        work = _claim(work, spans, links, "[URL]")
    if "@" in work:
        work = _simple(work, spans, _EMAIL, "[EMAIL]")
    work = _simple(work, spans, _EMAIL_SPELLED, "[EMAIL]")
    work = _claim(work, spans, [m.span("h") if m.group("h") else m.span() for m in _HANDLE.finditer(work)],
                  "[HANDLE]")  # fmt: skip
    if _DIGIT.search(work) is not None:  # everything but names needs a digit
        found = [m.span() for m in _IBAN.finditer(work) if sum(c.isdigit() for c in m.group()) >= 10]
        work = _claim(work, spans, found, "[IBAN]")
        work = _simple(work, spans, _ID_CUED, "[FILE_NO]", "id")

        if _YEAR4.search(work) is not None:
            work = _simple(work, spans, _DATE_TEXT, "[DATE]")
            work = _simple(work, spans, _DATE_ISO, "[DATE]")
        work = _claim(work, spans, [m.span() for m in _DATE_NUMERIC.finditer(work) if _date_ok(m)], "[DATE]")
        work = _simple(work, spans, _DATE_BIRTH_PARTIAL, "[DATE]", "d")

        work = _simple(work, spans, _BAMF_NO, "[FILE_NO]")
        work = _simple(work, spans, _COURT_NO, "[FILE_NO]")

        work = _simple(work, spans, _PHONE_CUED, "[PHONE]", "num")
        work = _claim(work, spans, _library_phones(work), "[PHONE]")
        phones = [span for m in _PHONE.finditer(work) if (span := _phone_span(work, m)) is not None]
        work = _claim(work, spans, phones, "[PHONE]")

        work = _simple(work, spans, _STREET, "[ADDRESS]")
        work = _simple(work, spans, _PREP_STREET, "[ADDRESS]")
        work = _simple(work, spans, _POSTCODE, "[ADDRESS]")
        work = _simple(work, spans, _POSTCODE_CUED, "[ADDRESS]")

        work = _simple(work, spans, _LONG_DIGITS, "[FILE_NO]")
        work = _simple(work, spans, _ID_TOKEN, "[FILE_NO]")

    for pattern, weak in ((_NAME_STRONG, False), (_NAME_WEAK, True), (_NAME_SELF, True)):
        names: list[tuple[int, int]] = []
        for m in pattern.finditer(work):
            span = _name_span(work, m.end(), weak=weak)
            if span is None or (names and span[0] < names[-1][1]):
                continue
            if pattern is _NAME_SELF:
                first = work[span[0] : span[1]].split()[0].casefold()
                if _case(work[span[0]]) != "upper" or first in _SELF_NOT_NAME:
                    continue
                if _SELF_NOT_NAME_RE.search(first) is not None:
                    continue
            names.append(span)
        work = _claim(work, spans, names, "[NAME]")

    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    last = 0
    for start, end, label in spans:
        out.append(text[last:start])
        out.append(label)
        last = end
    out.append(text[last:])
    return "".join(out)
