"""Offline language detection for short chat messages.

Script rules come first because they beat any statistical model on the short, informal texts
people send to a chat bot:

* Ethiopic script is Tigrinya (the only Ethiopic-script language Lotse supports).
* Arabic script is Arabic, Persian/Dari or Pashto, told apart by the letters only one of them
  uses (Pashto ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ; Persian پ چ ژ گ ی ک; Arabic ة ى ي ك) and by frequent
  words, including Egyptian, Levantine, Gulf, Iraqi and Maghrebi dialect words.
* Cyrillic is Ukrainian or Russian (і ї є ґ against ы э ъ ё, plus frequent words).
* Latin script goes to the py3langid model (de en fr tr so ku), after checks for Arabic written
  in Latin letters ("Arabizi": a3mel, 7abibi, shu) and Persian in Latin letters ("Finglish").

German words of the asylum and residence vocabulary (Jobcenter, Bescheid, Duldung ...) are
removed before scoring when other words remain, so "Jobcenter'dan mektup geldi" stays Turkish.

Model scores and rule evidence are combined as log-odds; the conversation's current language and
the channel's hint are priors. ``reliable`` is only True when the text carries enough signal to
switch a conversation's language; ambiguous short messages ("ok", "danke?", "3 months?",
"Jobcenter") keep the current language.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from bot.language.languages import LANGUAGES, normalise_code


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of :func:`detect`."""

    language: str | None
    """One of the supported codes, or None when nothing could be said."""
    confidence: float
    """0..1: how sure the detector is of ``language``."""
    reliable: bool
    """True when it is safe to switch a conversation's language to ``language``."""


# --------------------------------------------------------------------------------------------
# Tunables
# --------------------------------------------------------------------------------------------

_CURRENT_PRIOR: Final = 1.0
"""Log-odds added to the conversation's current language."""
_HINT_PRIOR: Final = 0.75
"""Log-odds added to the channel's language hint."""
_RULE_WEIGHT: Final = 1.0
"""Log-odds per unit of rule evidence (one distinctive letter or word)."""
_MIN_LETTERS: Final = 12
_MIN_WORDS: Final = 2
_RELIABLE_PROB: Final = 0.85
_MODEL_FLOOR: Final = 1e-4

_SCRIPT_OF: Final[dict[str, str]] = {
    "de": "latin",
    "en": "latin",
    "fr": "latin",
    "tr": "latin",
    "so": "latin",
    "ku": "latin",
    "ar": "arabic",
    "fa": "arabic",
    "ps": "arabic",
    "uk": "cyrillic",
    "ru": "cyrillic",
    "ti": "ethiopic",
}

# Labels of the py3langid model that count for a supported language.
_MODEL_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "de": ("de", "lb"),
    "en": ("en",),
    "fr": ("fr",),
    "tr": ("tr",),
    "so": ("so",),
    "ku": ("ku",),
    "ar": ("ar", "ary", "arz"),
    "fa": ("fa", "uzs"),
    "ps": ("ps",),
    "uk": ("uk",),
    "ru": ("ru",),
}

# --------------------------------------------------------------------------------------------
# Text normalisation and tokens
# --------------------------------------------------------------------------------------------

_NOISE_RE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|[@#]\w+|\+?\d[\d\s/().-]{5,}\d", re.IGNORECASE
)
_TOKEN_RE: Final = re.compile(r"\w+(?:['’`]\w+)*")
_TATWEEL: Final = "\u0640"


def _script(ch: str) -> str | None:
    """The script of one letter, or None for digits, punctuation, emoji and other scripts."""
    o = ord(ch)
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin" if ch.isalpha() else None
    if 0x0400 <= o <= 0x052F:
        return "cyrillic" if ch.isalpha() else None
    if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0x08A0 <= o <= 0x08FF:
        return "arabic" if ch.isalpha() and ch != _TATWEEL else None
    if 0x1200 <= o <= 0x139F or 0x2D80 <= o <= 0x2DDF or 0xAB00 <= o <= 0xAB2F:
        return "ethiopic" if ch.isalpha() else None
    return "other" if ch.isalpha() else None


def _clean(text: str) -> str:
    """NFKC (folds Arabic presentation forms), drop URLs/handles/phone numbers, harakat, tatweel."""
    text = unicodedata.normalize("NFKC", text)
    text = _NOISE_RE.sub(" ", text)
    text = text.replace(_TATWEEL, "")
    # Combining marks: Arabic harakat and other diacritics that are not part of a letter.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    """Lower-cased token as written."""
    script: str | None
    letters: int


def _tokens(cleaned: str) -> list[_Token]:
    out = []
    for m in _TOKEN_RE.finditer(cleaned.lower()):
        # Lower-casing Turkish "İ" leaves a combining dot above.
        word = unicodedata.normalize("NFC", m.group().replace("\u0307", ""))
        counts: dict[str, int] = {}
        for ch in word:
            s = _script(ch)
            if s is not None:
                counts[s] = counts.get(s, 0) + 1
        if not counts:
            continue  # numbers only
        script = max(counts, key=lambda k: counts[k])
        out.append(_Token(word, script, sum(counts.values())))
    return out


# --------------------------------------------------------------------------------------------
# German loanwords that people keep in German whatever language they write in
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _fold_german(word: str) -> str:
    word = word.lower().replace("ß", "ss")
    for a, b in (("ä", "a"), ("ö", "o"), ("ü", "u"), ("ae", "a"), ("oe", "o"), ("ue", "u")):
        word = word.replace(a, b)
    return word


# Long stems match as prefixes (Jobcenters, Jobcenter'dan, Ausländerbehördeye).
_LOAN_STEMS: Final[tuple[str, ...]] = tuple(
    _fold_german(w)
    for w in (
        "Jobcenter",
        "Aufenthaltserlaubnis",
        "Aufenthaltstitel",
        "Aufenthaltsgestattung",
        "Duldung",
        "Ausbildungsduldung",
        "Beschäftigungsduldung",
        "Wohnsitzauflage",
        "Ausländerbehörde",
        "Auslanderbehorde",
        "Ausländeramt",
        "Bescheid",
        "Familiennachzug",
        "Integrationskurs",
        "Einbürgerung",
        "Asylantrag",
        "Asylverfahren",
        "Anhörung",
        "Sozialamt",
        "Bürgergeld",
        "Bürgeramt",
        "Fiktionsbescheinigung",
        "Niederlassungserlaubnis",
        "Arbeitserlaubnis",
        "Beschäftigungserlaubnis",
        "Meldebescheinigung",
        "Anmeldung",
        "Krankenkasse",
        "Krankenversicherung",
        "Kindergeld",
        "Elterngeld",
        "Wohngeld",
        "Mietvertrag",
        "Widerspruch",
        "Rechtsanwalt",
        "Beratungsstelle",
        "Deutschkurs",
        "Sprachkurs",
        "Landratsamt",
        "Standesamt",
        "Rathaus",
        "Erstaufnahme",
        "Abschiebung",
        "Ausweis",
        "Reisepass",
        "Leistungsbescheid",
        "Unterkunft",
        "Schulamt",
        "Ausbildung",
        "Bundesagentur",
        "Arbeitsagentur",
        "Gesundheitsamt",
        "Jugendamt",
        "Kindergarten",
    )
)
# Short words match exactly (with German plural/case endings), so Turkish "kitap" is not "Kita".
_LOAN_WORDS: Final[frozenset[str]] = frozenset(
    _fold_german(w)
    for w in (
        "BAMF",
        "Kita",
        "Kitas",
        "Klage",
        "Klagen",
        "Termin",
        "Termine",
        "Terminen",
        "Termins",
        "Amt",
        "Asyl",
        "Antrag",
        "Anwalt",
        "Frist",
        "Visum",
        "Schufa",
        "Heim",
        "Lager",
        "Ausländerbehörde",
        "ABH",
        "LEA",
        "EAE",
        "AOK",
        "TK",
        "Bürgergeld",
        "Pass",
        "Formular",
        "Zertifikat",
        "Deutschtest",
        "DTZ",
        "Maßnahme",
        "Minijob",
        "Praktikum",
    )
)
_APOSTROPHES: Final = "'’`"


def _is_loanword(token: _Token) -> bool:
    if token.script != "latin":
        return False
    word = _fold_german(token.text)
    for ch in _APOSTROPHES:
        word = word.split(ch)[0]  # Jobcenter'dan, BAMF'a, Kita'ya
    if word in _LOAN_WORDS:
        return True
    return any(word.startswith(stem) and len(word) - len(stem) <= 4 for stem in _LOAN_STEMS)


# --------------------------------------------------------------------------------------------
# Arabic script
# --------------------------------------------------------------------------------------------

_PASHTO_LETTERS: Final = frozenset("ټډړږښګڼېۍځڅ")
_SORANI_LETTERS: Final = frozenset("ەێۆڵڕ")
_URDU_LETTERS: Final = frozenset("ٹڈڑںےۓ")
_PERSIAN_LETTERS: Final = frozenset("پچژگ")
_PERSIAN_FORMS: Final = frozenset("یک")  # Persian yeh U+06CC, keheh U+06A9 (also Pashto)
_ARABIC_FORMS: Final = frozenset("يك")  # Arabic yeh U+064A, kaf U+0643
_ARABIC_ONLY: Final = frozenset("ةى")

_ARABIC_FOLD: Final = str.maketrans(
    {
        "ی": "ي",
        "ى": "ي",
        "ئ": "ي",
        "ک": "ك",
        "ګ": "گ",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
    }
)


def _fold_arabic(word: str) -> str:
    return word.translate(_ARABIC_FOLD)


def _fold_set(words: str) -> frozenset[str]:
    return frozenset(_fold_arabic(w) for w in words.split())


_PERSIAN_WORDS: Final = _fold_set(
    """
    است هست هستم هستی هستید هستیم نیست نیستم استم استی اس میخواهم میخوام میخواستم میتوانم
    میتونم میشه میشود نمیشه نمیدانم نمیدونم نمیفهمم میفهمم چطور چطوری چگونه چه چی چرا کجا چند
    چقدر خانواده خانوادهام خانوادم را رو که اینجا برای دارم داریم دارد داره دارید ندارم
    خوب خوبی خیلی ممنون ممنونم مرسی تشکر سپاس لطفا باید شما با در از یک ولی بله نه کار کنم
    کنید بکنم بکنید کردم کرد کردید کردند شده شد بود گرفتم بگیرم بگیریم پیدا جواب هنوز زنم
    شوهرم پسرم دخترم بچه بچهها بچههایم اقامتم مدارک مدارکی درخواست درخواستم پناهندگی چیکار
    چکار بیارم بیاورم بیاد بیاید میکنم میکنیم میکنه زندگی فارسی دری ایران افغانستان مه
    میخواهیم کمک کمکم رایگان نامه گرفتن طول میکشه شهروندی همسرم مادرم پدرم برادرم
    خواهرم دیگه الان حالا چیزی هیچ بسیار وقت خدا خداحافظ خدانگهدار می نمی
    """
)
_ARABIC_WORDS: Final = _fold_set(
    """
    في على عن الى إلى هل شو ايش إيش وش شنو شلون كيف كيفك كيفاش ماذا لماذا متى امتى وين
    فين عايز عاوز عايزه بدي بدنا ابغى ابغي اريد أريد بغيت نعرف اعرف أعرف عندي عندنا عندك انا
    أنا احنا نحن اني هذا هذه هاد هادا هيدا هاي ده دي كده هيك ليش ليه علاش مش مو مب لا شكرا
    مرحبا اهلا السلام كتير كثير حاجه شي شيء حدا حد يساعدني ساعدني مساعده اللي الي الحين دلوقتي
    هلق هلا هلأ هسه هسا اكو ماكو واش دابا ديال بزاف برشا توا شنيه زوجتي مراتي مرتي اولادي ولادي
    عيلتي لعيلتي عائلتي اهلي ابني بنتي اخوي اخي وصلني اجاني جاني فهمت افهم اعمل اسوي نقدر اقدر
    يمكنني يمكن استطيع أستطيع بكره بكرة بكرا غدا ازاي إزاي ايه إيه منيح تمام يا رسالة رساله
    لم شمل طلبي الإقامة اقامة إقامة محامي ببلاش ألمانيا المانيا سوريا العراق مصر اليمن
    السودان ثلاث سنوات عم ولا بس كمان لسا لسه عشان مشان علشان بتاع مع وما وهل او أو
    """
)
_PASHTO_WORDS: Final = _fold_set(
    """
    زه زما ستاسو ستا مننه خپل خپله اوس دلته هلته چیرته شته نشته کولی کولای یم د پکار لري وي
    راشي ورته هغه دغه دا سره له ته پیسې ښه ډېر ډیر هو یې مې شم کړم وکړم وکړئ راکړئ
    غواړم پوهیږم څه څنګه څومره کې
    """
)
# Words written the same way in Persian and Arabic (or too short) are in no list: من ما ان هم
# به تا یا ممکن لازم یعنی وکیل مشکل نه. These differ only in yeh/hamza, so match them unfolded:
_PERSIAN_RAW: Final = frozenset({"این", "مجانی"})
_ARABIC_RAW: Final = frozenset({"أين", "مجاني", "اين"})
_ARABIC_PREFIX_EXCEPTIONS: Final = _fold_set("الان الآن البته الکی الله الو الهام")


def _arabic_evidence(tokens: list[_Token]) -> dict[str, float]:
    ev = {"ar": 0.0, "fa": 0.0, "ps": 0.0, "ku": 0.0, "other": 0.0}
    letters = "".join(t.text for t in tokens if t.script == "arabic")
    ps_letters = sum(ch in _PASHTO_LETTERS for ch in letters)
    ev["ps"] += 2.0 * min(ps_letters, 4)
    ev["ku"] += 2.0 * min(sum(ch in _SORANI_LETTERS for ch in letters), 4)
    ev["other"] += 2.0 * min(sum(ch in _URDU_LETTERS for ch in letters), 4)
    fa_letters = sum(ch in _PERSIAN_LETTERS for ch in letters)
    ev["fa"] += 1.5 * min(fa_letters, 3)
    ev["ps"] += 1.0 * min(fa_letters, 3)
    forms_fa = sum(ch in _PERSIAN_FORMS for ch in letters)
    forms_ar = sum(ch in _ARABIC_FORMS for ch in letters)
    # Keyboards decide between ی/ک and ي/ك; a text rarely mixes them.
    if forms_fa > forms_ar:
        ev["fa"] += min(forms_fa - forms_ar, 4) * 0.75
        ev["ps"] += min(forms_fa - forms_ar, 4) * 0.5
    elif forms_ar > forms_fa:
        ev["ar"] += min(forms_ar - forms_fa, 4) * 0.5
    ev["ar"] += 1.5 * min(sum(ch in _ARABIC_ONLY for ch in letters), 3)

    seen: set[str] = set()
    al_prefix = 0
    for tok in tokens:
        if tok.script != "arabic":
            continue
        word = _fold_arabic(tok.text)
        if word in seen:
            continue
        seen.add(word)
        if word in _PASHTO_WORDS:
            ev["ps"] += 1.5
        if word in _PERSIAN_WORDS:
            ev["fa"] += 1.0
        if word in _ARABIC_WORDS or tok.text in _ARABIC_RAW:
            ev["ar"] += 1.0
        if tok.text in _PERSIAN_RAW:
            ev["fa"] += 1.0
        if tok.text.startswith("می") and len(tok.text) >= 4:  # Persian verb prefix, Persian yeh
            ev["fa"] += 1.0
        for prefix in ("ال", "وال", "بال", "لل", "فال"):
            if word.startswith(prefix) and len(word) >= len(prefix) + 3:
                if word not in _ARABIC_PREFIX_EXCEPTIONS:
                    al_prefix += 1
                break
    ev["ar"] += 1.0 * min(al_prefix, 4)
    return ev


# --------------------------------------------------------------------------------------------
# Cyrillic
# --------------------------------------------------------------------------------------------

_UK_LETTERS: Final = frozenset("іїєґ")
_RU_LETTERS: Final = frozenset("ыэъё")
_UK_WORDS: Final = _words(
    """
    що як мені мене мій моє мої будь ласка будь-ласка дякую привіт вибачте чи це ні потрібно
    потрібен потрібна потрібні треба коли можу може можна хочу маю є він вона вони його її ми ви
    ти щоб тому але також теж тільки зараз сьогодні вчора тут отримати отримав отримала
    допоможіть підкажіть скажіть якщо чому скільки або й і з із від вже ще немає нема добрий
    добре доброго дуже дитина дитині діти дітей донька дочка чоловік дружина житло роботу
    працювати платити чекати знайти зробити робити бути був була буде подати подав подала
    громадянство громадянства допомогу допомога допомоги безкоштовного безкоштовно лист листа
    нічого розумію питання щодо сім'ї родини родина садочок садок місце прийшов прийшла
    відповідайте українською україні україна україни залишився залишилась приїхати закінчилась
    закінчився шукаю довідка довідку тиждень місяць рік років гроші грошей виплата виплати заява
    заяву свій мову мова німецьку німецької курси курсів інтеграційний справи дозвіл проживання
    продовжити взяти
    """
)
_RU_WORDS: Final = _words(
    """
    что как мне меня мой моё мое мои пожалуйста спасибо здравствуйте привет извините это где
    когда нужно нужна нужен нужны надо есть он она они его её ее мы вы ты чтобы но тоже только
    сейчас сегодня вчера здесь получить получил получила помогите подскажите скажите если почему
    сколько или и с к о уже ещё еще нет да добрый хорошо очень ребенок ребёнок ребенку
    ребёнку дети детей дочь муж жена жилье жильё работу работать платить ждать найти сделать
    делать быть был была будет подать подал подала гражданство гражданства помощь помощи большое
    большой бесплатного бесплатно письмо ничего понимаю вопрос семьи семья садик место пришел
    пришёл пришло пришла отвечайте по-русски русски русском остался осталась приехать
    закончилась закончился ищу справка справку неделя месяц год лет деньги денег выплата
    заявление свой язык немецкий немецкого немецки курсы курсов интеграционный дела разрешение
    продлить вид жительство жительства можно ли из от заранее взять хочу
    """
)
# Word endings only one of the two languages has (питання / разрешение, нужная).
_UK_SUFFIXES: Final = ("ння", "ють", "ої", "ії", "ього")
_RU_SUFFIXES: Final = ("ая", "яя", "ое", "ее", "ие", "ые", "ние", "ния")
# Words in both lists are no evidence for either.
_UK_ONLY: Final = _UK_WORDS - _RU_WORDS
_RU_ONLY: Final = _RU_WORDS - _UK_WORDS


def _cyrillic_evidence(tokens: list[_Token]) -> dict[str, float]:
    ev = {"uk": 0.0, "ru": 0.0}
    seen: set[str] = set()
    uk_letters = ru_letters = total = 0
    uk_suffix = ru_suffix = 0
    for tok in tokens:
        if tok.script != "cyrillic":
            continue
        # Ukrainians on a Russian keyboard type Latin "i" for "і".
        word = tok.text.replace("i", "і").replace("ï", "ї").replace("’", "'")
        total += tok.letters
        uk_letters += sum(ch in _UK_LETTERS for ch in word)
        ru_letters += sum(ch in _RU_LETTERS for ch in word)
        if word in seen:
            continue
        seen.add(word)
        if word in _UK_ONLY:
            ev["uk"] += 1.5
        if word in _RU_ONLY:
            ev["ru"] += 1.5
        if len(word) >= 4:
            uk_suffix += word.endswith(_UK_SUFFIXES)
            ru_suffix += word.endswith(_RU_SUFFIXES)
    ev["uk"] += 1.5 * min(uk_letters, 3) + 0.5 * min(uk_suffix, 3)
    ev["ru"] += 1.5 * min(ru_letters, 3) + 0.5 * min(ru_suffix, 3)
    if uk_letters == 0 and total >= 20:
        ev["ru"] += 0.5  # a Ukrainian sentence of this length nearly always has і, ї or є
    return ev


# --------------------------------------------------------------------------------------------
# Latin script: Arabizi, Finglish, and short-word hints for the model's languages
# --------------------------------------------------------------------------------------------

_ARABIZI_DIGIT_RE: Final = re.compile(r"^(?=.*[a-z])(?=.*[2-9])[a-z2-9']+$")
_ORDINAL_RE: Final = re.compile(r"^\d+(?:st|nd|rd|th|er|eme|ème|te|ten|ter|[a-z])$")  # 2nd, 3h, 5x
_ARABIZI_WORDS: Final = _words(
    """
    shu shou sho eish esh ezay izzay ezzay ana enta inta enti inti ento intu entu ahlan marhaba
    habibi habibti yalla inshallah wallah wallahi walla shukran shokran shoukran aleikum alaikum
    alaykum keef kif kifak kifik kefak baddi biddi bade badi bdi bedi ayez ayza awez mesh mish
    msh mafi mafish mafesh fi ala lesh leish leh wein wen fein fen feen emta imta emte mumkin
    momken mmkn mumken lazem lazim lezim ktir kteer kter kaman kamen hek heik hayda haida hada
    hadi keda kida kda ya3ni tayeb tayyib khalas akhi ukhti lam shaml shamel shamil ayle ayli
    eile awlad wlad zawjti mrati marti omri baad ba3d shi shwaya shway shwai wahad wahed arif
    aref fahim fahem mafhum lissa lesa lsa maalesh maalish haga haja shoghl shughl ahl ahli
    andi andak aandi ehna nahna ni7na bs bas ma3 eh aw w ya ma la ma3i baba mama iqama ikama
    ekama salam salamu el mn gawab gwab msh mosh ma3lesh ya3ni
    """
)
_FINGLISH_WORDS: Final = _words(
    """
    salam chetori chetor chetorin chetorid khubi khoobi khobi khoob khub khob mamnun mamnoon
    mamnoun mersi merci mikham mikhaam mikhastam mikhay mikhaid mikhahid mikham mikhahim mikhaym
    mitunam mitoonam mitonam mitunim mitunid mishe mishavad nemidunam nemidonam nemidoonam
    nemitunam nemitonam midunam midonam shoma chi chera koja kojast chand chanda chejori chetori
    baraye barayeh baraie vaghti vaqti ast hast hastam hastid nist nistam daram dari darid darim
    nadaram kar kardam kardan konam konid bekonam bayad lotfan khanevade khanevadeh khanevadam
    khanevadamo khanevadeam khanawada khanawadah zanam bacheha bachem pesaram dokhtaram ezdevaj
    eghamat iqamat aqamat javab komak komaketun komaketon tashakor tashakur tashakkur jan joon
    aziz khoda khodahafez befarmaid alan alaan mekhayom mekhaham asti astam hastom kada kadam
    biaram biyaram biarim chikar chekar man ba az dar be ra ro ham in oon un een vali yani
    kheili kheyli khaili kheily ye yek ke farsi dari bedid bede bedin begid mikonam
    mikonid mikone mishe mishavad soal soali mored dorost merci
    """
)
# Finglish words that are also common English/French/Turkish/German words: weak evidence only.
_FINGLISH_WEAK: Final = _words(
    "man ba az dar be ra ro ham in oon un een ye ke kar chi dari ast hast vali yani alan merci jan aziz chand"
)
_ARABIZI_WEAK: Final = _words(
    "ana el mn fi ala eh aw w ya ma la bs bas baba mama wen fen hada hadi leh sho esh shi omri baad ahl "
    "wahed aref haja andi"
)
# Greetings and thanks people use whatever language they speak: a message made only of these
# ("thank you very much", "merci beaucoup", "ok danke") never switches the language.
_COURTESY: Final = _words(
    """
    ok okay okey oke k kk thanks thank thx ty you very much so merci beaucoup bien danke schön
    schon sehr vielen dank bitte hallo hello hi hey bye tschüss tschuss ciao salut bonjour sorry
    please pls plz yes no ja nein oui non good gut super perfect perfekt great nice cool top alles
    klar understood verstanden got it and und et salam selam tamam
    """
)

# Frequent short words that give the model a nudge on very short messages.
_LATIN_WORDS: Final[dict[str, frozenset[str]]] = {
    "de": _words(
        "ich bin habe hallo danke bitte nicht und ist was wie wo wann kann ich mein meine ja nein "
        "guten tag morgen brauche hilfe sie wir der die das ein eine mit bei für fur auf"
    ),
    "en": _words(
        "i am the and is what how where when can my hello hi thanks thank you please yes no need "
        "help with for do have it"
    ),
    "fr": _words(
        "je suis bonjour merci oui non est le la les et pour avec mon ma mes vous svp stp bonsoir "
        "comment quand ou où pas"
    ),
    "tr": _words(
        "merhaba selam evet hayır hayir tamam teşekkürler tesekkurler teşekkür tesekkur ederim "
        "ben bir ne nasıl nasil için icin var yok mı mi mu lazım lazim"
    ),
    "so": _words(
        "waxaan waa maxaan sidee haa maya mahadsanid fadlan iyo aan ayaa ma ka ku soo waxa haddii hadda xagee"
    ),
    "ku": _words(
        "ez silav spas erê ere belê bele çawa cawa min te em ji bo li di çi ci dixwazim dikarim "
        "heye nizanim malbat malbata"
    ),
}


# Turkish case endings after an apostrophe: Jobcenter'dan, Almanya'ya, BAMF'a, Kita'nın.
_TR_APOSTROPHE_RE: Final = re.compile(
    r"^\w{2,}(?<!qu)['’`](?:y?[aeıiuü]|[dt][ae]n?|[dt][ae]ki|n?[ıiuü]n|y?l[ae]|[dt][ıiuü]r|l[ae]r[ıi]?"
    r"|n[ae]|n[dt][ae]n?)$"
)


def _turkish_apostrophes(tokens: list[_Token]) -> int:
    return sum(1 for t in tokens if t.script == "latin" and _TR_APOSTROPHE_RE.match(t.text))


def _latin_evidence(tokens: list[_Token], tr_apostrophes: int = 0) -> tuple[dict[str, float], dict[str, int]]:
    """Evidence per language, and how many distinctive Arabizi/Finglish words there are."""
    ev = {code: 0.0 for code in ("de", "en", "fr", "tr", "so", "ku", "ar", "fa")}
    strong_words = {"ar": 0, "fa": 0}
    ev["tr"] += 1.5 * min(tr_apostrophes, 2)
    seen: set[str] = set()
    for tok in tokens:
        if tok.script != "latin":
            continue
        word = tok.text
        if word in seen:
            continue
        seen.add(word)
        if (
            len(word) >= 3
            and _ARABIZI_DIGIT_RE.match(word)
            and not _ORDINAL_RE.match(word)
            and not re.fullmatch(r"[a-z]\d+|[^aeiou\d]+\d+", word)  # B1, A2, mp3, h264
        ):
            strong_words["ar"] += 1
            ev["ar"] += 1.5
        for code, words, weak in (
            ("ar", _ARABIZI_WORDS, _ARABIZI_WEAK),
            ("fa", _FINGLISH_WORDS, _FINGLISH_WEAK),
        ):
            if word in words:
                ev[code] += 0.3 if word in weak else 1.0
                strong_words[code] += word not in weak
        for code, words in _LATIN_WORDS.items():
            if word in words:
                ev[code] += 0.5
    letters = "".join(t.text for t in tokens if t.script == "latin")
    ev["tr"] += 0.75 * min(sum(ch in "ğı" for ch in letters), 3)
    return ev, strong_words


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@cache
def _identifier() -> Any:
    """The py3langid model with all its languages, loaded on first use."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _model_probs(text: str) -> dict[str, float]:
    """Probabilities for each supported language the model knows, plus "other" for the rest."""
    ranked: list[tuple[str, float]] = _identifier().rank(text)
    label_to_code = {label: code for code, labels in _MODEL_ALIASES.items() for label in labels}
    probs: dict[str, float] = dict.fromkeys(_MODEL_ALIASES, 0.0)
    probs["other"] = 0.0
    for label, p in ranked:
        probs[label_to_code.get(label, "other")] += float(p)
    return probs


def _softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def _combine(
    candidates: Iterable[str],
    model: Mapping[str, float],
    evidence: Mapping[str, float],
    priors: Mapping[str, float],
    model_weight: float = 1.0,
) -> dict[str, float]:
    cands = list(candidates)
    mass = sum(model.get(c, 0.0) for c in cands)
    logits = {}
    for c in cands:
        p = model.get(c, 0.0) / mass if mass > 0 else 1.0 / len(cands)
        logits[c] = (
            model_weight * math.log(max(p, _MODEL_FLOOR))
            + _RULE_WEIGHT * evidence.get(c, 0.0)
            + priors.get(c, 0.0)
        )
    return _softmax(logits)


# --------------------------------------------------------------------------------------------
# detect()
# --------------------------------------------------------------------------------------------


def detect(text: str, *, hint: str | None = None, current: str | None = None) -> Detection:
    """Detect the language of one chat message.

    ``hint`` (a channel's language code such as Telegram's ``language_code``) and ``current``
    (the conversation's language) are priors. The result is ``reliable`` only when the message
    carries enough signal to switch the conversation's language.
    """
    cur = current if current in LANGUAGES else None
    hint_code = normalise_code(hint)
    priors: dict[str, float] = {}
    if hint_code:
        priors[hint_code] = _HINT_PRIOR
    if cur:
        priors[cur] = priors.get(cur, 0.0) + _CURRENT_PRIOR

    cleaned = _clean(text or "")
    all_tokens = _tokens(cleaned)
    content = [t for t in all_tokens if not _is_loanword(t)]
    tokens = content or all_tokens  # only German loanwords: judge them, but never reliably
    only_loanwords = not content and bool(all_tokens)

    letters: dict[str, int] = {}
    for t in tokens:
        if t.script is not None:
            letters[t.script] = letters.get(t.script, 0) + t.letters
    if not letters:
        return Detection(cur, 0.0, False)
    script = max(letters, key=lambda k: letters[k])
    n_letters = letters[script]
    n_words = sum(1 for t in tokens if t.script == script)

    if script == "ethiopic":
        conf = min(0.99, 0.7 + 0.05 * n_letters)
        return _result("ti", conf, reliable=n_letters >= 3, cur=cur)
    if script == "other":
        return _keep(cur)

    script_text = " ".join(t.text for t in tokens if t.script == script)
    model = _model_probs(script_text)

    strong = False
    if script == "arabic":
        ev = _arabic_evidence(tokens)
        if ev["ku"] >= 4 and ev["ku"] > ev["ps"]:
            # Sorani (Kurdish in Arabic script): Lotse's Kurdish is Kurmanji in Latin letters,
            # which a Sorani reader may not follow. Name it, but never switch to it.
            return _result("ku", 0.5, reliable=False, cur=cur)
        probs = _combine(("ar", "fa", "ps"), model, ev, priors, model_weight=0.5)
        strong = max(ev["ar"], ev["fa"], ev["ps"]) >= 3.0
        foreign = ev["other"] >= 4
    elif script == "cyrillic":
        ev = _cyrillic_evidence(tokens)
        # The model mixes up Ukrainian and Russian on short texts; letters and words are surer.
        probs = _combine(("uk", "ru"), model, ev, priors, model_weight=0.5)
        strong = max(ev["uk"], ev["ru"]) >= 3.0
        foreign = model["other"] > 0.8 and max(ev.values()) < 1.5
    else:
        tr_apostrophes = _turkish_apostrophes(all_tokens)
        latin_ev, strong_words = _latin_evidence(tokens, tr_apostrophes)
        probs, strong, foreign = _latin(tokens, model, latin_ev, strong_words, priors)
        strong = strong or tr_apostrophes > 0

    best = max(probs, key=lambda k: probs[k])
    conf = probs[best]
    enough = (n_letters >= _MIN_LETTERS and n_words >= _MIN_WORDS) or (strong and n_letters >= 6)
    reliable = conf >= _RELIABLE_PROB and enough and not foreign and not only_loanwords
    if (
        not reliable
        and not only_loanwords
        and not foreign
        and script != "latin"
        and n_letters >= 3
        and conf >= 0.5
        and (cur is None or _SCRIPT_OF[cur] != script)
    ):
        # A non-Latin script the conversation's language is not written in: the best guess
        # in that script is better than staying, even for one word.
        reliable = True
    return _result(best, conf, reliable=reliable, cur=cur, probs=probs)


def _latin(
    tokens: list[_Token],
    model: Mapping[str, float],
    ev: Mapping[str, float],
    strong_words: Mapping[str, int],
    priors: Mapping[str, float],
) -> tuple[dict[str, float], bool, bool]:
    """Probabilities for Latin-script text, whether a rule fired strongly, and whether the text is
    foreign (a language Lotse does not support) or courtesy only, so not to be switched to."""
    words = [t for t in tokens if t.script == "latin"]
    n = max(len(words), 1)
    model_cands = ("de", "en", "fr", "tr", "so", "ku")
    in_set = sum(model[c] for c in model_cands)
    # Arabizi and Finglish: the model has no notion of them; they live in its "other" mass.
    # Their base is that mass, scaled by how many of the words the rules recognise.
    logits: dict[str, float] = {}
    for c in model_cands:
        p = model[c] / in_set if in_set > 0 else 1.0 / len(model_cands)
        logits[c] = math.log(max(p * min(1.0, in_set + 0.5), _MODEL_FLOOR)) + ev[c] + priors.get(c, 0.0)
    for c in ("ar", "fa"):
        share = min(1.0, ev[c] / n) * (1.0 if strong_words[c] else 0.2)
        base = max(model["other"], 0.05) * share
        logits[c] = math.log(max(base, _MODEL_FLOOR)) + ev[c] + priors.get(c, 0.0)
    probs = _softmax(logits)
    strong = max(ev["ar"], ev["fa"]) >= 3.0
    courtesy_only = all(t.text in _COURTESY for t in words)
    top_model = max(model, key=lambda k: model[k])
    best = max(probs, key=lambda k: probs[k])
    foreign = (top_model == "other" and model["other"] > 0.85 and best not in ("ar", "fa")) or courtesy_only
    return probs, strong, foreign


def _keep(cur: str | None) -> Detection:
    return Detection(cur, 0.0, False)


def _result(
    best: str,
    conf: float,
    *,
    reliable: bool,
    cur: str | None,
    probs: Mapping[str, float] | None = None,
) -> Detection:
    """Reliable: the best guess. Unreliable: keep the current language when there is one."""
    conf = round(min(max(conf, 0.0), 1.0), 4)
    if reliable or cur is None or cur == best:
        return Detection(best, conf, reliable)
    keep_conf = round(probs.get(cur, 0.0), 4) if probs else 0.0
    return Detection(cur, keep_conf, False)
