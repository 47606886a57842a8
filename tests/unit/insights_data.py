"""Seed data for the insights tests: unanswered questions about one new topic (health insurance)
in German, English, Turkish and Arabic, written for these tests, and unrelated noise."""

from __future__ import annotations

HEALTH = {
    "de": [
        "Wie bekomme ich eine Krankenversicherung?",
        "Welche Krankenkasse soll ich nehmen?",
        "Brauche ich eine Krankenkasse als Student?",
        "Wie melde ich mich bei der Krankenkasse an?",
        "Krankenkasse wechseln, wie geht das?",
        "Bin ich krankenversichert, wenn ich arbeite?",
    ],
    "en": [
        "How do I get health insurance (Krankenkasse)?",
        "Which Krankenkasse should I choose?",
        "Do I need a Krankenkasse as a student?",
        "How do I register with the Krankenkasse?",
        "how to change my krankenkasse",
    ],
    "tr": [
        "Krankenkasse nasıl seçilir?",
        "Krankenkasse kaydı nasıl yapılır?",
        "Öğrenciyim, Krankenkasse lazım mı?",
        "Krankenkasse değiştirmek istiyorum",
    ],
    "ar": [
        "كيف أسجل في Krankenkasse؟",
        "أي Krankenkasse أختار؟",
        "هل أحتاج Krankenkasse كطالب؟",
        "كيف أغير Krankenkasse؟",
    ],
}
"""People often name the German institution in their own language: without a translation model
that shared word is what brings the languages together."""

HEALTH_PURE = {
    "de": HEALTH["de"],
    "en": [
        "How do I get health insurance?",
        "Which health insurance should I choose?",
        "Do I need health insurance as a student?",
        "How do I register with a health insurance?",
    ],
    "tr": [
        "Sağlık sigortası nasıl alınır?",
        "Hangi sağlık sigortasını seçmeliyim?",
        "Öğrenci olarak sağlık sigortası lazım mı?",
    ],
    "ar": ["كيف أحصل على تأمين صحي؟", "أي تأمين صحي أختار؟", "هل أحتاج تأمين صحي كطالب؟"],
}
"""The same questions without the German word: they meet only through a translation into German."""

GLOSSARY = {
    "health insurance": "Krankenversicherung",
    "sağlık sigortası": "Krankenversicherung",
    "sağlık sigortasını": "Krankenversicherung",
    "تأمين صحي": "Krankenversicherung",
    "how do i get": "wie bekomme ich eine",
    "which": "welche",
    "should i choose": "soll ich nehmen",
    "do i need": "brauche ich eine",
    "as a student": "als Student",
    "how do i register with a": "wie melde ich mich bei der",
}
"""A stand-in machine translation (word list) for the test with translation."""

NOISE = [
    ("de", "Wann fährt der Bus nach Erfurt?"),
    ("de", "Ich suche einen Fußballverein für meinen Sohn"),
    ("de", "Wo kann ich mein Fahrrad reparieren lassen?"),
    ("en", "What is the weather tomorrow?"),
    ("en", "Can you recommend a good restaurant?"),
    ("en", "My phone screen is broken, where to fix it"),
    ("tr", "Bu akşam maç var mı?"),
    ("tr", "En yakın cami nerede?"),
    ("ar", "متى يفتح السوق؟"),
    ("ar", "أين أجد مطعم حلال؟"),
    ("fa", "ساعت چند است؟"),
    ("ru", "Где купить дешёвый телефон?"),
    ("de", "Gibt es in Jena einen Schwimmkurs für Frauen?"),
    ("de", "Wo ist der nächste Baumarkt?"),
    ("de", "Mein Nachbar ist sehr laut in der Nacht"),
    ("de", "Kann ich meine Katze mitbringen?"),
    ("en", "Where can I buy cheap furniture?"),
    ("en", "Is there a chess club in Weimar?"),
    ("en", "I lost my wallet on the tram"),
    ("en", "When does the library open on Sunday?"),
    ("tr", "Ucuz araba nereden alınır?"),
    ("tr", "Düğün salonu kiralamak istiyorum"),
    ("tr", "Bilgisayar tamiri nerede yapılır?"),
    ("ar", "أين يمكنني شراء دراجة مستعملة؟"),
    ("ar", "هل يوجد نادي كرة قدم للأطفال؟"),
    ("ar", "ضاع مفتاح بيتي"),
    ("fa", "کجا می‌توانم لباس ارزان بخرم؟"),
    ("uk", "Де можна полагодити велосипед?"),
    ("ru", "Когда открывается бассейн?"),
    ("fr", "Où puis-je acheter un vélo?"),
]
