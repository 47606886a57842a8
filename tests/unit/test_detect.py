"""Language detection on the kind of short messages people send to Lotse."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.language.detect import Detection, detect
from bot.language.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]

# Realistic chat messages: informal, typos, missing accents, German office words mixed in.
# Every message here is long enough that detection must be right *and* reliable, i.e. it may
# switch a conversation that is currently in another language.
MESSAGES: dict[str, list[str]] = {
    "de": [
        "Hallo, ich habe eine Frage zu meiner Aufenthaltserlaubnis",
        "wann bekomme ich meinen termin bei der ausländerbehörde",
        "Mein Bescheid vom BAMF ist negativ, was kann ich machen?",
        "kann ich mit duldung arbeiten",
        "Ich brauche Hilfe beim Familiennachzug für meine Frau",
        "wie lange dauert die einbürgerung ungefähr",
        "Das Jobcenter hat mir kein Geld überwiesen",
        "hallo ich suche einen Kita platz für meinen sohn",
        "muss ich den integrationskurs selbst bezahlen?",
        "Ich verstehe den Brief nicht, können Sie mir helfen",
        "meine aufenthaltstitel lauft nachsten monat ab was soll ich tun",
        "Gibt es eine Beratungsstelle in meiner Nähe?",
        "ich wohne in Leipzig und will nach Berlin umziehen geht das mit wohnsitzauflage",
        "Danke für die schnelle Antwort!",
        "Wo kann ich mich anmelden, ich bin neu hier",
        "ich habe keine Krankenversicherung mehr, was jetzt",
        "Kann mein Bruder mich besuchen? Er wohnt in der Türkei",
        "Bitte auf Deutsch antworten",
    ],
    "en": [
        "Hi, I need help with my residence permit",
        "how long does family reunification take",
        "my Aufenthaltserlaubnis expires next month what should i do",
        "can i work while my asylum case is open?",
        "I got a letter from the Jobcenter and I dont understand it",
        "where can i find a lawyer for free",
        "Hello, is it possible to bring my parents to germany",
        "my kid needs a Kita place, how do i apply",
        "thanks a lot for your help",
        "what documents do i need for the Termin at the Ausländerbehörde",
        "I am from Nigeria and I study here, can I stay after my degree?",
        "Do I have to pay for the integration course?",
        "sorry my english is not good, i need appointment",
        "The BAMF rejected my claim, can I appeal",
        "how do i register my adress in the city",
        "my wife is still in Syria, how can she come here",
        "Is there someone who speaks english at the office?",
        "Please answer in English",
    ],
    "fr": [
        "Bonjour, j'ai besoin d'aide pour mon titre de séjour",
        "comment faire pour le regroupement familial",
        "est ce que je peux travailler avec une Duldung ?",
        "j'ai reçu une lettre du Jobcenter mais je comprends pas",
        "combien de temps pour avoir un rendez vous a la Ausländerbehörde",
        "mon fils a besoin d'une place en creche",
        "merci beaucoup pour votre aide",
        "je viens de Guinée et je suis demandeur d'asile",
        "ou je peux trouver un avocat gratuit",
        "ma femme est encore au Cameroun, elle peut venir ici?",
        "Le BAMF a refusé ma demande, je peux faire appel ?",
        "Est-ce qu'il faut payer le cours d'intégration",
        "svp repondez en francais je comprend pas allemand",
        "je ne parle pas bien allemand",
        "quels documents il faut pour le Termin",
        "bonsoir, mon Bescheid est arrivé aujourd'hui, que dois-je faire",
        "Je cherche un logement pour ma famille",
        "c'est urgent, ma carte de séjour expire demain",
    ],
    "tr": [
        "Merhaba, oturma iznim ne zaman bitiyor nasıl öğrenebilirim",
        "aile birleşimi için hangi belgeler lazım",
        "Jobcenter'dan mektup geldi ama anlamadım",
        "merhaba ben türkiyeden geldim iltica başvurusu yapmak istiyorum",
        "Ausländerbehörde'de randevu nasıl alınır",
        "eşim ve çocuklarım hala Türkiye'de, buraya gelebilirler mi",
        "tesekkur ederim cok yardimci oldunuz",
        "Almanca bilmiyorum, Türkçe yazabilir misiniz",
        "Duldung ile çalışabilir miyim?",
        "vatandaşlık için kaç yıl beklemem gerekiyor",
        "avukat lazım acil yardım edin",
        "oglum icin kita yeri bulamiyorum",
        "BAMF başvurumu reddetti ne yapabilirim",
        "entegrasyon kursu ücretli mi",
        "Kimlik kartımı kaybettim ne yapmalıyım",
        "selam, bir sorum var",
        "Yarın randevum var ama gidemiyorum",
        "Bescheid geldi, itiraz etmek istiyorum",
    ],
    "ru": [
        "Здравствуйте, как продлить вид на жительство?",
        "мне нужна помощь с документами",
        "Я получил письмо из Jobcenter и ничего не понимаю",
        "сколько ждать термин в Ausländerbehörde",
        "можно ли работать с Duldung?",
        "Моя жена осталась в Казахстане, как её привезти",
        "спасибо большое за помощь",
        "где найти бесплатного адвоката",
        "привет, у меня вопрос по воссоединению семьи",
        "ребенку нужен садик, как получить место в Kita",
        "BAMF отклонил мое заявление что делать",
        "нужно ли платить за интеграционный курс",
        "я не говорю по немецки, пишите по русски пожалуйста",
        "Подскажите пожалуйста, когда можно подать на гражданство",
        "у меня закончилась страховка",
        "Пришел Bescheid, хочу подать Klage",
        "как записаться на курсы немецкого",
        "Добрый день, я из Украины, но говорю по-русски",
    ],
    "uk": [
        "Добрий день, як продовжити дозвіл на проживання?",
        "мені потрібна допомога з документами",
        "Я отримала лист від Jobcenter і нічого не розумію",
        "скільки чекати на термін в Ausländerbehörde",
        "чи можна працювати з параграфом 24?",
        "Дякую за допомогу!",
        "де знайти безкоштовного адвоката",
        "привіт, в мене питання щодо возз'єднання сім'ї",
        "дитині потрібен садочок, як отримати місце в Kita",
        "що робити якщо прийшов Bescheid",
        "будь ласка, відповідайте українською",
        "Чи треба платити за інтеграційний курс?",
        "Мій чоловік залишився в Україні, чи може він приїхати",
        "коли я можу подати на громадянство",
        "у мене закінчилась страховка, що робити",
        "привiт, як справи, маю питання",
        "підкажіть будь ласка де взяти форму",
        "я з Харкова, шукаю житло для родини",
    ],
    "ar": [
        "مرحبا، كيف يمكنني تجديد الإقامة؟",
        "بدي اعرف كيف اعمل لم شمل لعيلتي",
        "عايز اعرف ازاي اجيب مراتي وولادي",
        "وصلني رسالة من Jobcenter وما فهمت شي",
        "هل يمكنني العمل مع Duldung؟",
        "شو لازم اعمل اذا اجاني Bescheid سلبي",
        "السلام عليكم، عندي موعد في Ausländerbehörde بكرة",
        "شكرا كتير على المساعدة",
        "وين بلاقي محامي ببلاش",
        "ابني يحتاج مكان في الروضة Kita",
        "كم يستغرق التجنيس في ألمانيا",
        "بغيت نعرف واش نقدر نخدم بلا أوراق",
        "ابغى اسأل عن كورس الاندماج هل هو مجاني",
        "شلون اقدر اجيب اهلي من العراق",
        "انا من سوريا وعندي اقامة ثلاث سنوات",
        "ممكن حدا يساعدني بالترجمة",
        "رفض BAMF طلبي، هل أستطيع تقديم Klage؟",
        "ليش ما وصلني رد لحد هلق",
    ],
    "fa": [
        "سلام، چطور می‌توانم اقامتم را تمدید کنم؟",
        "میخوام خانواده‌ام رو بیارم آلمان، چیکار باید بکنم",
        "از Jobcenter نامه گرفتم ولی نمیفهمم",
        "با Duldung میتونم کار کنم؟",
        "ممنون از کمک شما",
        "وقت Ausländerbehörde چطور بگیرم",
        "من از افغانستان هستم و درخواست پناهندگی دادم",
        "تشکر، بسیار کمک کردید",
        "پسرم جای مهدکودک لازم داره",
        "کلاس ادغام پولی است یا مجانی؟",
        "زنم هنوز در ایران است، میتونه بیاد اینجا؟",
        "یک وکیل رایگان کجا پیدا کنم",
        "BAMF درخواستم را رد کرد، چه کار کنم",
        "چقدر طول میکشه تا شهروندی بگیرم",
        "لطفا فارسی جواب بدید",
        "ما در هایم زندگی می کنیم و خیلی مشکل داریم",
        "برای Familiennachzug چه مدارکی لازم است",
        "مه از هرات استم، کمک میخواهم",
    ],
    "ps": [
        "سلام، زه غواړم خپله کورنۍ آلمان ته راولم",
        "زما د اقامې موده ختمیږي، څه وکړم؟",
        "له Jobcenter نه مې لیک راغلی خو نه پوهیږم",
        "ایا زه د Duldung سره کار کولی شم؟",
        "مننه ستاسو د مرستې نه",
        "زه له افغانستان نه یم او پناه مې غوښتې ده",
        "Ausländerbehörde کې وخت څنګه واخلم",
        "زما ښځه لا تر اوسه په پاکستان کې ده",
        "زما زوی ته د وړکتون ځای پکار دی",
        "د ادغام کورس پیسې لري؟",
        "یو وړیا وکیل چیرته پیدا کولای شم",
        "BAMF زما غوښتنه رد کړه، اوس څه وکړم",
        "څومره وخت نیسي چې تابعیت واخلم",
        "مهرباني وکړئ په پښتو ځواب راکړئ",
        "زه آلماني ژبه نه پوهیږم",
        "ډېر ستړی یم، مرسته غواړم",
        "زما Bescheid راغلی، مطلب یې څه دی؟",
        "ورور مې په ترکیه کې دی",
    ],
    "ti": [
        "ሰላም፡ ናይ መንበሪ ፍቓድ ከመይ ጌረ ከሕድሶ እኽእል?",
        "ስድራይ ናብ ጀርመን ከምጽኦም እደሊ",
        "ካብ Jobcenter ደብዳቤ መጺኡኒ ግን ኣይተረድኣንን",
        "ምስ Duldung ክሰርሕ ይኽእል ድየ?",
        "የቐንየለይ",
        "ጠበቓ ብነጻ ኣበይ ክረክብ እኽእል",
        "ኣብ Ausländerbehörde ቆጸራ ከመይ ይወሃብ",
        "ሰበይተይ ገና ኣብ ኤርትራ እያ ዘላ",
        "ወደይ ቦታ ኣብ መዋእለ ህጻናት የድልዮ",
        "ናይ ምውህሃድ ኮርስ ክፍሊት ኣለዎ ድዩ?",
        "ሰላም ከመይ ኣለኹም",
        "BAMF ሕቶይ ነጺግዎ እንታይ ክገብር",
        "ብትግርኛ መልሱለይ በጃኹም",
        "ጀርመንኛ ኣይፈልጥን እየ",
        "ዜግነት ንምርካብ ክንደይ ግዜ ይወስድ",
        "Bescheid መጺኡኒ ሓግዙኒ",
    ],
    "so": [
        "Salaan, sideen u cusboonaysiin karaa sharciga deganaanshaha?",
        "waxaan rabaa inaan qoyskayga keeno Jarmalka",
        "Jobcenter ayaa warqad ii soo diray mana fahmin",
        "ma shaqeyn karaa haddii aan haysto Duldung",
        "mahadsanid caawimaadaada",
        "xagee baan ka helaa qareen bilaash ah",
        "sidee loo qabsadaa Termin Ausländerbehörde",
        "xaaskaygu weli waxay joogtaa Soomaaliya",
        "wiilkayga wuxuu u baahan yahay meel Kita",
        "koorsada isdhexgalka lacag ma leedahay?",
        "BAMF ayaa diiday codsigayga maxaan sameeyaa",
        "immisa waqti ayay qaadataa dhalashada",
        "fadlan iigu jawaab af soomaali",
        "af jarmal ma aqaano waan ka xumahay",
        "maxaan sameeyaa hadda Bescheid ayaa yimid",
        "walaal waan ku mahadsantahay",
        "guri ayaan u baahanahay aniga iyo carruurtayda",
    ],
    "ku": [
        "Silav, ez çawa dikarim destûra rûniştinê dirêj bikim?",
        "ez dixwazim malbata xwe bînim Almanyayê",
        "ji Jobcenter nameyek hat lê ez fam nakim",
        "ez dikarim bi Duldung kar bikim?",
        "spas ji bo alîkariya we",
        "ez li ku derê dikarim parêzerekî belaş bibînim",
        "ji bo Termin li Ausländerbehörde çi lazim e",
        "jina min hîn li Sûriyê ye",
        "kurê min ji bo Kita cihek divê",
        "kursa entegrasyonê bi pere ye?",
        "BAMF daxwaza min red kir, ez çi bikim",
        "ji bo hemwelatîbûnê çend sal divê",
        "ji kerema xwe bi kurmancî bersiv bide",
        "ez almanî nizanim, bi kurdî binivîse",
        "ez ji Efrînê me, alîkarî lazim e",
        "silav heval, pirsek min heye",
        "ez nizanim ci bikim, bescheid hat",
        "ez dixwazim bi zimane kurdi biaxivim",
    ],
}

CASES = [(lang, text) for lang, texts in MESSAGES.items() for text in texts]


def _other(lang: str) -> str:
    """A different current language for the switch test (same script where there is one)."""
    return {"de": "en", "uk": "ru", "ru": "uk", "ar": "fa", "fa": "ar", "ps": "fa"}.get(lang, "de")


def test_corpus_covers_every_language() -> None:
    assert set(MESSAGES) == set(LANGUAGES)
    assert all(len(texts) >= 15 for texts in MESSAGES.values())


@pytest.mark.parametrize(("lang", "text"), CASES)
def test_detects_language(lang: str, text: str) -> None:
    found = detect(text)
    assert found.language == lang, found
    assert 0.0 <= found.confidence <= 1.0


@pytest.mark.parametrize(("lang", "text"), CASES)
def test_switches_away_from_another_language(lang: str, text: str) -> None:
    found = detect(text, current=_other(lang))
    assert found == Detection(lang, found.confidence, True), found


@pytest.mark.parametrize(("lang", "text"), CASES)
def test_keeps_its_own_language(lang: str, text: str) -> None:
    found = detect(text, current=lang, hint="de")
    assert found.language == lang, found


# --- short and ambiguous messages must not flip the conversation's language -----------------

AMBIGUOUS = [
    "ok",
    "OK 👍",
    "danke?",
    "3 months?",
    "Jobcenter",
    "Jobcenter?",
    "BAMF",
    "Termin",
    "Bescheid Jobcenter",
    "Kita?",
    "12.03.2025",
    "+49 151 23456789",
    "?",
    "hi",
    "Hallo",
    "merci",
    "thanks",
    "yes",
    "salam",
    "ja",
    "no",
    "a2",
    "B1",
    "https://www.bamf.de/DE/Startseite/startseite_node.html",
    "Aufenthaltserlaubnis",
    "😭😭😭",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
@pytest.mark.parametrize("current", list(LANGUAGES))
def test_ambiguous_short_text_keeps_current(text: str, current: str) -> None:
    found = detect(text, current=current, hint="de")
    assert found.language == current, found


@pytest.mark.parametrize("text", ["ok", "danke?", "3 months?", "Jobcenter", "merci", "hi", "Termin"])
def test_ambiguous_short_text_is_not_reliable_without_prior(text: str) -> None:
    assert not detect(text).reliable


@pytest.mark.parametrize("text", ["", "   ", "\n", "👍", "😂😂😂", "🙏🏽❤️", "...", "123", "!!!"])
def test_no_letters(text: str) -> None:
    assert detect(text) == Detection(None, 0.0, False)
    assert detect(text, current="ar", hint="fa") == Detection("ar", 0.0, False)


def test_hint_decides_ambiguous_greeting() -> None:
    assert detect("salam", hint="fa-IR").language == "fa"
    assert detect("salam", hint="ar").language == "ar"
    assert not detect("salam", hint="ar").reliable


def test_hint_is_only_a_prior() -> None:
    found = detect("Здравствуйте, мне нужна помощь с документами", hint="de")
    assert found.language == "ru" and found.reliable
    found = detect("I need help with my residence permit please", hint="ar")
    assert found.language == "en" and found.reliable


@pytest.mark.parametrize("hint", ["prs", "fa-AF", "fa_IR", "FA"])
def test_hint_codes_are_normalised(hint: str) -> None:
    assert detect("سلام", hint=hint).language == "fa"


def test_unknown_current_and_hint_are_ignored() -> None:
    found = detect("Ich brauche Hilfe mit meinem Antrag", current="xx", hint="es-MX")
    assert found.language == "de" and found.reliable


def test_current_wins_close_calls() -> None:
    # "سلام" is a greeting in Arabic and Persian alike.
    assert detect("سلام", current="fa").language == "fa"
    assert detect("سلام", current="ar").language == "ar"


def test_german_message_switches_from_other_language() -> None:
    found = detect("Können Sie mir bitte auf Deutsch antworten?", current="ar")
    assert found == Detection("de", found.confidence, True)


# --- scripts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["ሰላም", "ሰላም ከመይ ኣለኹም", "ሓገዝ የድልየኒ ኣሎ", "የቐንየለይ", "ቆጸራ ኣለኒ ኣብ Jobcenter"],
)
def test_ethiopic_is_tigrinya(text: str) -> None:
    found = detect(text, current="de")
    assert found.language == "ti" and found.reliable


def test_amharic_text_is_still_tigrinya() -> None:
    # Lotse supports Tigrinya only; Amharic readers can mostly follow Tigrinya text.
    assert detect("ሰላም እንዴት ነህ እርዳታ እፈልጋለሁ").language == "ti"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("زه نه پوهیږم", "ps"),
        ("من نمی‌فهمم", "fa"),
        ("ستاسو مننه", "ps"),
        ("خیلی ممنون", "fa"),
        ("زما نوم احمد دی", "ps"),
        ("اسم من احمد است", "fa"),
        ("څنګه یاست؟", "ps"),
        ("چطوری؟ خوبی؟", "fa"),
        ("زه د کابل یم", "ps"),
        ("من از کابل هستم", "fa"),
    ],
)
def test_pashto_versus_persian(text: str, lang: str) -> None:
    assert detect(text).language == lang
    assert detect(text, current="de").language == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("اسمي احمد وانا من سوريا", "ar"),
        ("اسم من احمد است و از افغانستان هستم", "fa"),
        ("هل عندكم مترجم؟", "ar"),
        ("آیا مترجم دارید؟", "fa"),
        ("عايزه اروح للدكتور", "ar"),
        ("بدي روح عالدكتور", "ar"),
        ("میخواهم دکتر بروم", "fa"),
    ],
)
def test_arabic_versus_persian(text: str, lang: str) -> None:
    found = detect(text, current="de")
    assert found.language == lang and found.reliable


@pytest.mark.parametrize(
    "text",
    [
        "shu lazem a3mel la lam shaml",
        "7abibi ana bdi a3ref kif ejib 3ayelti",
        "ana 3ayez a3raf el Termin emta",
        "marhaba, 3andi so2al 3an el iqama",
        "wallah ma fhemt el Bescheid, sa3edni",
        "salam 3alaykum, kif fini jib mrati la almanya",
        "ana msh fahem el gawab mn el Jobcenter",
        "baddi sa3de law sama7t",
    ],
)
def test_arabizi_is_arabic(text: str) -> None:
    found = detect(text, current="en")
    assert found.language == "ar" and found.reliable, found


@pytest.mark.parametrize(
    "text",
    [
        "salam, chetori? man mikham khanevadamo biaram",
        "mamnun az komaketun",
        "man nemidunam chikar konam ba Duldung",
        "salam khubi? ye soal daram dar mored eghamat",
        "lotfan farsi javab bedid",
    ],
)
def test_finglish_is_persian(text: str) -> None:
    found = detect(text, current="en")
    assert found.language == "fa" and found.reliable, found


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("عندي موعد في Jobcenter بخصوص Bescheid و Aufenthaltserlaubnis", "ar"),
        ("Ausländerbehörde Termin نسيت وين الورقة", "ar"),
        ("Jobcenter'dan Bescheid geldi, Termin ne zaman?", "tr"),
        ("Ausländerbehörde'ye Aufenthaltserlaubnis için gittim", "tr"),
        ("Kita yeri için Jobcenter'a gitmem lazım mı", "tr"),
        ("Мне пришел Bescheid от Jobcenter, что делать", "ru"),
        ("Termin в Ausländerbehörde на Aufenthaltserlaubnis когда?", "ru"),
        ("Мені прийшов Bescheid від Jobcenter", "uk"),
        ("my Duldung and Wohnsitzauflage, what now", "en"),
        ("ma Fiktionsbescheinigung expire, que faire", "fr"),
    ],
)
def test_german_loanwords_do_not_make_text_german(text: str, lang: str) -> None:
    found = detect(text, current="de")
    assert found.language == lang and found.reliable, found


def test_turkish_book_is_not_kita() -> None:
    assert detect("kitap okumak istiyorum ama vaktim yok").language == "tr"


def test_sorani_is_kurdish_but_not_switched() -> None:
    sorani = "سڵاو، من دەمەوێت خێزانەکەم بهێنم بۆ ئەڵمانیا"
    assert detect(sorani) == Detection("ku", 0.5, False)
    assert detect(sorani, current="de") == Detection("de", 0.0, False)


@pytest.mark.parametrize(
    "text",
    [
        "thank you very much",
        "ok thanks 👍",
        "merci beaucoup",
        "danke schön",
        "Vielen Dank!",
        "ok super, alles klar",
        "sorry, thank you",
    ],
)
def test_courtesy_phrases_do_not_switch(text: str) -> None:
    found = detect(text, current="ar")
    assert found.language == "ar" and not found.reliable


@pytest.mark.parametrize(
    "text",
    [
        "Hola, necesito ayuda con mi permiso de residencia",
        "Ciao, ho bisogno di aiuto per il permesso di soggiorno",
        "Hallo, ik heb hulp nodig met mijn verblijfsvergunning",
        "مجھے اپنے ویزا کے بارے میں مدد چاہیے",  # Urdu
        "我需要帮助",
        "मुझे मदद चाहिए",
    ],
)
def test_unsupported_languages_are_not_reliable(text: str) -> None:
    assert not detect(text).reliable
    assert detect(text, current="en") == Detection("en", detect(text, current="en").confidence, False)


def test_mixed_script_message_follows_the_main_script() -> None:
    found = detect("Hello, ممكن تساعدني؟ وصلتني رسالة من الجوب سنتر وما فهمت شي", current="en")
    assert found.language == "ar" and found.reliable
    found = detect("مرحبا, I need help with my residence permit please", current="ar")
    assert found.language == "en" and found.reliable


def test_model_is_not_loaded_at_import() -> None:
    code = (
        "import sys; import bot.language.detect as d; "
        "assert d._identifier.cache_info().currsize == 0; "
        "assert 'py3langid.langid' not in sys.modules; "
        "d.detect('ok'); assert d._identifier.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_detection_is_immutable() -> None:
    found = detect("Hallo, ich brauche Hilfe")
    with pytest.raises(AttributeError):
        found.language = "en"  # type: ignore[misc]


def test_mean_time_per_call(capsys: pytest.CaptureFixture[str]) -> None:
    detect("warm up the model")
    texts = [text for _, text in CASES]
    start = time.perf_counter()
    for text in texts:
        detect(text)
    mean_ms = (time.perf_counter() - start) / len(texts) * 1000
    with capsys.disabled():
        print(f"\ndetect(): {mean_ms:.3f} ms per call over {len(texts)} messages")
    assert mean_ms < 20
