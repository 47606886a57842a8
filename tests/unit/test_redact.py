"""Redaction of personal data before questions are stored for analysis (bot.analytics.redact)."""

from __future__ import annotations

import pytest

from bot.analytics.redact import redact

# (text, personal data that must disappear, placeholder that must appear)
POSITIVE: list[tuple[str, tuple[str, ...], str]] = [
    # ---- German --------------------------------------------------------------------------
    ("Meine Nummer ist +49 176 1234567, bitte zurückrufen.", ("176 1234567",), "[PHONE]"),
    ("Sie erreichen mich unter 0176/1234567.", ("1234567",), "[PHONE]"),
    ("Festnetz: (0361) 555 12 34, ab 16 Uhr", ("555 12 34",), "[PHONE]"),
    ("Bitte rufen Sie 0049-30-123456 an", ("123456",), "[PHONE]"),
    ("Mein Handy 0151 234 567 89 ist kaputt", ("234 567 89",), "[PHONE]"),
    ("Meine E-Mail ist ahmad.karimi@gmail.com", ("ahmad.karimi@gmail.com",), "[EMAIL]"),
    ("Überweisung auf IBAN DE89 3704 0044 0532 0130 00 ok?", ("3704 0044 0532",), "[IBAN]"),
    ("Mein Aktenzeichen ist 1234567-423, wann kommt der Bescheid?", ("1234567-423",), "[FILE_NO]"),
    ("Az. 7654321-163 – ist mein Asylverfahren abgeschlossen?", ("7654321",), "[FILE_NO]"),
    ("Gesch.-Z.: 5432109 - 475, Anhörung verschoben", ("5432109", "475"), "[FILE_NO]"),
    ("Aktenzeichen 8123456-150 bitte prüfen", ("8123456",), "[FILE_NO]"),
    ("Meine Passnummer ist L01X00T47", ("L01X00T47",), "[FILE_NO]"),
    ("Meine AZR-Nummer lautet 123456789012", ("123456789012",), "[FILE_NO]"),
    ("Mein Ausweis Y123ABC45 ist abgelaufen", ("Y123ABC45",), "[FILE_NO]"),
    ("Meine Steuer-ID ist 12 345 678 901", ("345 678 901",), "[FILE_NO]"),
    ("Ich bin am 12.03.1990 geboren", ("12.03.1990",), "[DATE]"),
    ("Geburtsdatum: 12. März 1990", ("März 1990",), "[DATE]"),
    ("geb. 3.4.85 in Aleppo", ("3.4.85",), "[DATE]"),
    ("Ich wohne in der Musterstraße 12, 99084 Erfurt", ("Musterstraße 12", "99084"), "[ADDRESS]"),
    ("Neue Adresse: Bahnhofstr. 5a in Gera", ("Bahnhofstr. 5a",), "[ADDRESS]"),
    ("Wir wohnen Am Anger 3 seit Januar", ("Anger 3",), "[ADDRESS]"),
    ("Die Unterkunft ist Weimarische Str 10", ("Weimarische Str 10",), "[ADDRESS]"),
    ("Ich bin nach 07545 Gera umgezogen", ("07545",), "[ADDRESS]"),
    ("Adresse: Karl-Marx-Allee 45, Berlin", ("Karl-Marx-Allee 45",), "[ADDRESS]"),
    ("Mein Name ist Fatima Haidari.", ("Fatima", "Haidari"), "[NAME]"),
    ("Ich heiße Ahmad und brauche einen Termin", ("Ahmad",), "[NAME]"),
    ("Ich habe einen Termin bei Frau Müller-Lüdenscheidt", ("Müller",), "[NAME]"),
    ("Herr Dr. Schmidt hat meinen Antrag", ("Schmidt",), "[NAME]"),
    ("Mein Sohn Omar ist 5 Jahre alt", ("Omar",), "[NAME]"),
    # ---- English -------------------------------------------------------------------------
    ("My name is Ahmad Karimi and I need help", ("Ahmad", "Karimi"), "[NAME]"),
    ("my name is samir haddad", ("samir", "haddad"), "[NAME]"),
    ("My wife Leila needs a visa", ("Leila",), "[NAME]"),
    ("Mr Johnson from the office told me to write", ("Johnson",), "[NAME]"),
    ("Call me at +49 1523 4567890 please", ("4567890",), "[PHONE]"),
    ("I was born on 3 march 1985 in Kabul", ("3 march 1985",), "[DATE]"),
    ("date of birth March 3, 1985", ("March 3, 1985",), "[DATE]"),
    ("DOB 5/6/87, born in Herat", ("5/6/87",), "[DATE]"),
    ("My passport number is C4J9RX1T2", ("C4J9RX1T2",), "[FILE_NO]"),
    ("My BAMF file number is 7123456-439", ("7123456",), "[FILE_NO]"),
    ("I live at Hauptstraße 22, 07743 Jena", ("Hauptstraße 22", "07743"), "[ADDRESS]"),
    ("Write to samira_h@web.de please", ("samira_h@web.de",), "[EMAIL]"),
    # ---- Arabic (incl. Eastern Arabic digits) ---------------------------------------------
    ("اسمي محمد أحمد وأنا من سوريا", ("محمد", "أحمد"), "[NAME]"),
    ("انا اسمي خالد وعندي سؤال", ("خالد",), "[NAME]"),
    ("رقمي ٠١٧٦١٢٣٤٥٦٧ اتصلوا بي", ("٠١٧٦١٢٣٤٥٦٧",), "[PHONE]"),
    ("رقم هاتفي في سوريا +٩٦٣ ٩٤٤ ١٢٣ ٤٥٦", ("٩٤٤ ١٢٣ ٤٥٦",), "[PHONE]"),
    ("تاريخ ميلادي ١٥/٣/١٩٩٠", ("١٥/٣/١٩٩٠",), "[DATE]"),
    ("ولدت في ١٥ آذار ١٩٩٠ في حلب", ("١٥ آذار ١٩٩٠",), "[DATE]"),
    ("رقم الملف ٧٦٥٤٣٢١-١٦٣ متى يأتي القرار؟", ("٧٦٥٤٣٢١",), "[FILE_NO]"),
    ("ايميلي omar.k@yahoo.com", ("omar.k@yahoo.com",), "[EMAIL]"),
    ("أسكن في Bahnhofstraße 7 في ايرفورت", ("Bahnhofstraße 7",), "[ADDRESS]"),
    # ---- Persian / Dari (Persian digits) --------------------------------------------------
    ("نام من علی رضایی است", ("علی", "رضایی"), "[NAME]"),
    ("اسم من زهرا است و سوال دارم", ("زهرا",), "[NAME]"),
    ("شماره من ۰۱۵۲۳ ۴۵۶۷۸۹۰ است", ("۴۵۶۷۸۹۰",), "[PHONE]"),
    ("متولد ۱۵ مهر ۱۳۶۹ هستم", ("۱۵ مهر ۱۳۶۹",), "[DATE]"),
    ("تاریخ تولد من ۱۳۶۹/۰۷/۱۵ است", ("۱۳۶۹/۰۷/۱۵",), "[DATE]"),
    ("شماره پرونده من ۸۱۲۳۴۵۶-۱۵۰ است", ("۸۱۲۳۴۵۶",), "[FILE_NO]"),
    # ---- Ukrainian -----------------------------------------------------------------------
    ("Мене звати Олена Шевченко, я з Харкова", ("Олена", "Шевченко"), "[NAME]"),
    ("Я народився 5 березня 1988 р.", ("5 березня 1988",), "[DATE]"),
    ("Мій номер телефону 0157 12345678", ("12345678",), "[PHONE]"),
    ("Моя дружина Наталія вагітна", ("Наталія",), "[NAME]"),
    ("номер паспорта FA123456, що робити?", ("FA123456",), "[FILE_NO]"),
    # ---- Russian -------------------------------------------------------------------------
    ("Меня зовут Олег Петренко", ("Олег", "Петренко"), "[NAME]"),
    ("Я родился 12 марта 1990 года", ("12 марта 1990",), "[DATE]"),
    ("Мой сын Артём ходит в школу", ("Артём",), "[NAME]"),
    ("Мой телефон +7 915 123-45-67", ("123-45-67",), "[PHONE]"),
    ("Звоните: +7 (915) 765-43-21", ("765-43-21",), "[PHONE]"),
    ("Живу по адресу Erfurter Straße 5, 99086 Erfurt", ("Erfurter Straße 5", "99086"), "[ADDRESS]"),
    # ---- Turkish -------------------------------------------------------------------------
    ("Benim adım Mehmet Yılmaz", ("Mehmet", "Yılmaz"), "[NAME]"),
    ("Adım Ayşe, oturum izni hakkında soru", ("Ayşe",), "[NAME]"),
    ("12 Mart 1990 doğumluyum", ("12 Mart 1990",), "[DATE]"),
    ("Pasaport numaram U12345678", ("U12345678",), "[FILE_NO]"),
    ("Telefon numaram 0176 9876543", ("9876543",), "[PHONE]"),
    ("Oğlum Emre okula gidiyor", ("Emre",), "[NAME]"),
    # ---- French --------------------------------------------------------------------------
    ("Je m'appelle Amina Diallo", ("Amina", "Diallo"), "[NAME]"),
    ("Je suis née le 1er mars 1990 à Conakry", ("1er mars 1990",), "[DATE]"),
    ("Mon numéro de dossier est 9876543-439", ("9876543",), "[FILE_NO]"),
    ("Mon fils Karim a 5 ans", ("Karim",), "[NAME]"),
    ("Mon téléphone: 0162 1234567", ("1234567",), "[PHONE]"),
    ("Mon adresse e-mail est aminadiallo@outlook.fr", ("aminadiallo@outlook.fr",), "[EMAIL]"),
    # ---- Somali, Kurmanji, Pashto, Tigrinya ----------------------------------------------
    ("Magacaygu waa Cabdi Maxamed", ("Cabdi", "Maxamed"), "[NAME]"),
    ("Wiilkayga Axmed wuxuu dhashay 12.04.2015", ("12.04.2015",), "[DATE]"),
    ("Navê min Xalid e, ez ji Efrînê me", ("Xalid",), "[NAME]"),
    ("Navê min Rojda ye, telefona min 0157 12345678", ("12345678",), "[PHONE]"),
    ("زما نوم احمد دی", ("احمد",), "[NAME]"),
    ("زما شمېره ۰۱۷۶۱۲۳۴۵۶۷ ده", ("۰۱۷۶۱۲۳۴۵۶۷",), "[PHONE]"),
    ("ስመይ ኣማኑኤል እዩ", ("ኣማኑኤል",), "[NAME]"),
]

# Texts without personal data: law paragraphs, deadlines, durations, amounts, years.
NEGATIVE: list[str] = [
    "Was bedeutet § 29 Abs. 2 AufenthG für den Familiennachzug?",
    "Nach § 36 AsylG habe ich nur eine Woche Zeit für die Klage.",
    "Gilt § 25 Abs. 5 AufenthG auch nach § 60a AufenthG?",
    "Ich lebe seit 2019 in Deutschland und warte seit 3 Monaten.",
    "Der Widerspruch muss innerhalb von 2 Wochen eingereicht werden.",
    "Die Gebühr beträgt 255 Euro, für Kinder 55 Euro.",
    "Im Notfall 110 oder 112 anrufen.",
    "Darf ich 15 Stunden pro Woche arbeiten?",
    "I have been waiting for 6 months, is that normal?",
    "Can I travel for 2 weeks with a Duldung?",
    "Die Frist endet am 31.12., reicht das?",
    "Am Montag 15 Uhr habe ich einen Termin.",
    "Kann mein Sohn Kindergeld bekommen?",
    "Art. 7 ARB 1/80 und die Verordnung (EU) 604/2013",
    "هل يمكنني العمل بعد ٣ أشهر؟ دفعت ١٠٠ يورو",
    "آیا بعد از ۶ ماه می‌توانم کار کنم؟ از سال ۱۴۰۰ اینجا هستم",
    "Я в Германии с 2022 года, жду уже 4 месяца",
    "Чи можу я працювати через 3 місяці? Я заплатив 100 євро.",
    "2023 yılından beri Almanya'dayım, 6 ay bekledim.",
    "Je suis en Allemagne depuis 2021 et j'attends depuis 8 mois.",
    "Mein Name ist falsch geschrieben im Bescheid.",
    "My name is wrong on the residence permit.",
    "Die Niederlassungserlaubnis kostet 113 Euro, Öffnungszeiten 8-12 Uhr.",
    "Brauche ich B1 Deutsch für die Einbürgerung nach 5 Jahren?",
]


@pytest.mark.parametrize(("text", "secrets", "placeholder"), POSITIVE)
def test_personal_data_is_replaced(text: str, secrets: tuple[str, ...], placeholder: str) -> None:
    out = redact(text)
    for secret in secrets:
        assert secret not in out, out
    assert placeholder in out, out


@pytest.mark.parametrize("text", NEGATIVE)
def test_text_without_personal_data_is_unchanged(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mein Sohn Omar ist 5 Jahre alt", "Mein Sohn [NAME] ist 5 Jahre alt"),
        ("رقمي ٠١٧٦١٢٣٤٥٦٧ وعمري ٣٠ سنة", "رقمي [PHONE] وعمري ٣٠ سنة"),
        ("Ich wohne in der Musterstraße 12, 99084 Erfurt", "Ich wohne in der [ADDRESS], [ADDRESS]"),
        ("Az. 7654321-163, seit 2019", "Az. [FILE_NO], seit 2019"),
        ("", ""),
    ],
)
def test_only_the_personal_data_changes(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_several_kinds_in_one_message() -> None:
    text = (
        "Ich heiße Samir Haddad, geboren am 01.02.1988, Tel. 0176 1234567, "
        "samir@example.org, Aktenzeichen 1234567-423, Musterstraße 12, 99084 Erfurt"
    )
    out = redact(text)
    for placeholder in ("[NAME]", "[DATE]", "[PHONE]", "[EMAIL]", "[FILE_NO]", "[ADDRESS]"):
        assert placeholder in out
    for secret in ("Samir", "Haddad", "1988", "1234567", "samir@", "Musterstraße", "99084"):
        assert secret not in out


# ---- Corpus for the gaps found in the security review (issue 11, finding 5) --------------------
# Per category: (text, personal data that must disappear). Recall = share of texts from which
# every listed piece is gone; ``test_recall_on_the_corpus`` prints it (README "Privacy").
CORPUS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "name after a cue": [
        # en
        ("I am Ahmad Karimi from Kabul", ("Ahmad", "Karimi")),
        ("I'm Omar and I need an appointment", ("Omar",)),
        ("Hello, my name is Layla Hassan, I have a question", ("Layla", "Hassan")),
        ("you can call me Reza", ("Reza",)),
        # de
        ("Ich bin Samir Haddad und wohne in Gera", ("Samir", "Haddad")),
        ("Hallo, ich heiße Mariam, wann ist das Amt offen?", ("Mariam",)),
        ("Hier schreibt Yusuf, ich habe eine Frage zur Duldung", ("Yusuf",)),
        # fr
        ("Bonjour, je m'appelle Fatoumata Camara", ("Fatoumata", "Camara")),
        ("Je suis Amadou, je cherche un cours de langue", ("Amadou",)),
        ("moi c'est Ibrahima Sow", ("Ibrahima", "Sow")),
        # ru
        ("Здравствуйте, меня зовут Ирина Ковальчук", ("Ирина", "Ковальчук")),
        ("Я Дмитрий, у меня вопрос про пособие", ("Дмитрий",)),
        ("меня звать Сергей", ("Сергей",)),
        # uk
        ("Добрий день, мене звати Оксана Бондаренко", ("Оксана", "Бондаренко")),
        ("Я Тарас, шукаю житло", ("Тарас",)),
        ("моє ім'я Богдан", ("Богдан",)),
        # tr
        ("Merhaba, benim adım Zeynep Kaya", ("Zeynep", "Kaya")),
        ("Ben Hasan, oturum iznim ne zaman biter?", ("Hasan",)),
        ("ismim Elif, randevu istiyorum", ("Elif",)),
        # ar
        ("مرحبا، اسمي يوسف الحسن", ("يوسف", "الحسن")),
        ("أنا اسمي سارة وعندي سؤال", ("سارة",)),
        ("اسمي هو عمر", ("عمر",)),
        # fa
        ("سلام، اسم من مریم احمدی است", ("مریم", "احمدی")),
        ("نام من حسین است", ("حسین",)),
        ("اسمم فاطمه است و سوال دارم", ("فاطمه",)),
    ],
    "handle / mention": [
        ("Schreib mir auf Telegram @ahmad_k99", ("ahmad_k99",)),
        ("@ahmad_k99", ("ahmad_k99",)),
        ("my instagram is @layla.hassan90", ("layla.hassan90",)),
        ("Instagram: layla.hassan90", ("layla.hassan90",)),
        ("Telegram: samir_haddad", ("samir_haddad",)),
        ("contactez-moi @amadou_diallo", ("amadou_diallo",)),
        ("пишите в телеграм @irina_kov", ("irina_kov",)),
        ("мій нік @taras_ua88", ("taras_ua88",)),
        ("bana @zeynepkaya yazın", ("zeynepkaya",)),
        ("راسلني على @yousef_hasan", ("yousef_hasan",)),
        ("آیدی تلگرام من @maryam_ahmadi است", ("maryam_ahmadi",)),
        ("TikTok: reza.official", ("reza.official",)),
    ],
    "link": [
        ("Mein Profil: https://facebook.com/ahmad.karimi.77", ("ahmad.karimi",)),
        ("see https://t.me/ahmad_k99 for my documents", ("ahmad_k99",)),
        ("t.me/ahmad_k99", ("ahmad_k99",)),
        ("Hier ist der Link: www.dropbox.com/s/abc123/pass.pdf", ("abc123",)),
        ("https://drive.google.com/file/d/1AbCdEf/view?usp=sharing", ("1AbCdEf",)),
        ("instagram.com/layla.hassan90 هذا حسابي", ("layla.hassan90",)),
        ("Voici mon CV: http://amadou-diallo.fr/cv", ("amadou-diallo",)),
        ("Моя страница vk.com/irina.kov", ("irina.kov",)),
        ("wa.me/4917612345678 schreib mir", ("4917612345678",)),
        ("linkedin.com/in/zeynep-kaya-123 profilim", ("zeynep-kaya",)),
        ("لینک من: https://instagram.com/maryam.ahmadi", ("maryam.ahmadi",)),
    ],
    "spelled e-mail": [
        ("ahmad at gmail dot com", ("ahmad",)),
        ("Meine Mail: samir.haddad ät gmx punkt de", ("samir.haddad",)),
        ("write to layla (at) yahoo (dot) com", ("layla",)),
        ("reza[at]outlook[dot]com", ("reza",)),
        ("mon adresse: amadou arobase gmail point com", ("amadou",)),
        ("почта irina собака mail точка ru", ("irina",)),
        ("пошта taras равлик ukr крапка net", ("taras",)),
        ("e-posta: zeynep at hotmail nokta com", ("zeynep",)),
        ("ايميلي yousef ات gmail دوت com", ("yousef",)),
        ("ایمیل من maryam ات yahoo دات com است", ("maryam",)),
        ("mail me: omar at web dot de", ("omar",)),
        ("ahmad@gmail dot com", ("ahmad",)),
    ],
    "phone": [
        ("Meine Nummer: 0176 123 45 678", ("123 45 678",)),
        ("ruf an: 0176-1234-5678", ("1234-5678",)),
        ("(0361) 6555 1234 ist das Festnetz", ("6555 1234",)),
        ("+49 (0) 361 655 1234", ("655 1234",)),
        ("0049 176 12345678", ("12345678",)),
        ("+49-152-3456-7890", ("3456-7890",)),
        ("Bitte unter 0361/655-1234 zurückrufen", ("655-1234",)),
        ("call +49 1512 3456789 after 5", ("3456789",)),
        ("appelez le 01 62 12 34 56 78", ("12 34 56 78",)),
        ("звоните 0 176 12 34 56 78", ("34 56 78",)),
        ("telefonum 0 (176) 123 45 67", ("123 45 67",)),
        ("اتصل على +963 944 123 456", ("944 123 456",)),
        ("شماره من +۴۹ ۱۷۶ ۱۲۳ ۴۵ ۶۷۸ است", ("۱۲۳ ۴۵ ۶۷۸",)),
    ],
}

# Must stay readable: a place of origin or a status is not a name (places are kept on purpose).
CORPUS_NEGATIVE: list[str] = [
    "Ich bin seit 3 Jahren in Deutschland",
    "I am from Syria",
    "I am Syrian and I have a Duldung",
    "I'm pregnant, can I get help?",
    "Ich bin Studentin und brauche eine Aufenthaltserlaubnis",
    "Ich bin Flüchtling aus Afghanistan",
    "Je suis en Allemagne depuis 2022",
    "Je suis réfugié, j'ai besoin d'aide",
    "Я из Украины, что мне делать?",
    "Я в Германии с марта",
    "Ben Suriyeliyim, yardım lazım",
    "Ben Almanya'da 2 yıldır yaşıyorum",
    "انا من سوريا واحتاج مساعدة",
    "من از افغانستان هستم",
    "Im Notfall 110 anrufen, Öffnungszeiten 8-12 Uhr",
    "Die Gebühr ist 100 Euro, z.B. für den Pass",
    "Where is the office at the Bahnhof?",
    "I look at the point of the letter",
    "Was steht in § 25 Abs. 5 AufenthG?",
    "My e-mail is wrong in the system",
    "Ich warte seit 2 Jahren.In Erfurt gibt es keinen Termin",
    "Danke für den Termin.So geht das?",
    "Ich bin Anfang 30 und suche Arbeit",
    "Ich bin Montag beim Amt gewesen",
]

FINDING5_EXAMPLES = [
    ("I am Ahmad Karimi from Kabul", "I am [NAME] from Kabul"),
    ("Schreib mir @ahmad_k99", "Schreib mir [HANDLE]"),
    ("mein Profil https://instagram.com/ahmad_k99.", "mein Profil [URL]."),
    ("ahmad at gmail dot com", "[EMAIL]"),
    ("Ruf an: 0176 123 45 678", "Ruf an: [PHONE]"),
]


@pytest.mark.parametrize(("text", "expected"), FINDING5_EXAMPLES)
def test_review_examples_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", CORPUS_NEGATIVE)
def test_corpus_negatives_stay_readable(text: str) -> None:
    assert redact(text) == text


# Measured recall per category; the test fails if a change makes any of them worse.
RECALL_FLOOR = {
    "name after a cue": 0.96,  # "اسمي هو عمر": عمر is also the word for age
    "handle / mention": 1.0,
    "link": 1.0,
    "spelled e-mail": 1.0,
    "phone": 1.0,
    "earlier corpus": 1.0,
}


def _recall(cases: list[tuple[str, tuple[str, ...]]]) -> tuple[float, list[str]]:
    missed = [text for text, secrets in cases if any(secret in redact(text) for secret in secrets)]
    return 1 - len(missed) / len(cases), missed


def test_recall_on_the_corpus() -> None:
    categories = dict(CORPUS)
    categories["earlier corpus"] = [(text, secrets) for text, secrets, _ in POSITIVE]
    failures = []
    print()
    for name, cases in categories.items():
        recall, missed = _recall(cases)
        print(f"redaction recall {name}: {recall:.1%} of {len(cases)} texts; missed: {missed}")
        if recall < RECALL_FLOOR[name]:
            failures.append((name, recall, missed))
    negatives_changed = [text for text in CORPUS_NEGATIVE + NEGATIVE if redact(text) != text]
    print(f"negatives unchanged: {1 - len(negatives_changed) / len(CORPUS_NEGATIVE + NEGATIVE):.1%}")
    assert not failures, failures
