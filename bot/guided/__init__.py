"""Pure building blocks of the guided flows (appeal deadline helper, family reunification check).

``dates``: legal deadline arithmetic (weeks with the weekend/holiday shift, months without it);
``date_parser``: what a person types as "the day I received the letter", in many languages and scripts;
``periods``: the decision type -> appeal period table (data in ``data/appeal_periods.yml``).
Nothing here touches the database, the network or the clock (the caller passes "today").
"""
