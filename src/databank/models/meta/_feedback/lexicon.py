"""Small sentiment lexicons for the languages VADER does not read: German, French, Spanish, Dutch.

Valences use VADER's scale (-4 … +4; `good` is 1.9, `great` 3.1, `terrible` -2.5 there), chosen
by hand for everyday review vocabulary. A word ending in `*` matches every word it starts (German
and Dutch inflect: `enttäusch*` covers enttäuscht, enttäuschend). Phrases (several words) are
matched first and their words are not scored again. Matching ignores case and accents.

This is a fallback, not VADER: it knows a few hundred words, so it catches the clear cases of
short customer feedback (very positive or very negative reviews) and misses irony and rare words.
"""

from __future__ import annotations

VALENCE: dict[str, dict[str, float]] = {
    "de": {
        "gut": 1.9, "sehr gut": 2.6, "super": 2.9, "toll": 2.8, "prima": 2.5, "klasse": 2.6,
        "perfekt*": 3.0, "ausgezeichnet*": 3.1, "hervorragend*": 3.1, "exzellent*": 3.0,
        "wunderbar*": 3.0, "großartig*": 3.1, "fünf sterne": 2.5, "ein stern": -1.5, "zufrieden*": 2.0, "glücklich*": 2.6,
        "begeistert*": 3.0, "empfehl*": 2.0, "freundlich*": 1.9, "hilfsbereit*": 2.0,
        "hilfreich*": 1.9, "schnell*": 1.3, "einwandfrei*": 2.4, "problemlos*": 1.8,
        "einfach*": 0.9, "liebe": 2.8, "danke": 1.5, "lob*": 1.9, "top": 2.5,
        "in ordnung": 0.6, "okay": 0.6, "ok": 0.6,
        "schlecht*": -2.5, "schrecklich*": -2.9, "furchtbar*": -3.0, "katastroph*": -3.1,
        "enttäusch*": -2.0, "ärger*": -2.0, "kaputt*": -2.3, "defekt*": -2.3,
        "beschädigt*": -2.2, "verspät*": -1.6, "spät*": -1.0, "langsam*": -1.2,
        "mangelhaft*": -2.3, "miserabel*": -3.0, "unzufrieden*": -2.2, "nie wieder": -2.8,
        "betrug*": -3.0, "unverschämt*": -2.8, "frech*": -1.8, "problem*": -1.3,
        "billig*": -0.8, "teuer*": -1.2, "unfreundlich*": -2.2, "nutzlos*": -2.2,
        "warte*": -0.8, "noch immer": -0.6, "alptraum*": -3.0, "albtraum*": -3.0,
        "reklamation*": -1.2, "fehler*": -1.5, "falsch*": -1.5,
    },
    "fr": {
        "bien": 1.6, "très bien": 2.6, "bon": 1.9, "bonne": 1.9, "super": 2.9, "génial*": 3.1,
        "excellent*": 3.1, "parfait*": 3.0, "formidable*": 3.0, "merveilleu*": 3.0,
        "cinq étoiles": 2.5, "une étoile": -1.5, "satisfait*": 2.0, "content*": 2.0, "ravi*": 2.8, "heureu*": 2.6, "recommand*": 2.0,
        "aimable*": 1.9, "sympa*": 1.9, "serviable*": 1.9, "rapide*": 1.3, "facile*": 1.0,
        "efficace*": 1.8, "impeccable*": 2.6, "merci": 1.5, "top": 2.5, "correct*": 0.7,
        "mal": -1.5, "mauvais*": -2.5, "horrible*": -3.0, "terrible*": -2.8, "nul": -2.6, "nulle": -2.6,
        "déçu*": -2.0, "décevant*": -2.0, "déception*": -2.0, "cassé*": -2.3, "abîmé*": -2.2,
        "endommagé*": -2.2, "défectueu*": -2.3, "retard*": -1.6, "lent*": -1.2,
        "plus jamais": -2.8, "arnaque*": -3.0, "inadmissible*": -2.8, "scandal*": -2.8,
        "catastroph*": -3.1, "cauchemar*": -3.0, "problème*": -1.3, "cher": -1.2,
        "chère": -1.2, "insatisfait*": -2.2, "désagréable*": -2.0, "inutile*": -2.0,
        "attend*": -0.6, "toujours pas": -1.0, "erreur*": -1.5, "mécontent*": -2.2,
    },
    "es": {
        "bien": 1.6, "muy bien": 2.6, "bueno": 1.9, "buena": 1.9, "genial*": 3.1,
        "excelente*": 3.1, "perfect*": 3.0, "estupend*": 3.0, "maravill*": 3.0,
        "fantástic*": 3.0, "cinco estrellas": 2.5, "una estrella": -1.5, "contento": 2.0, "contenta": 2.0, "satisfech*": 2.0, "feliz": 2.6,
        "encantad*": 2.8, "recomiend*": 2.0, "recomendable*": 2.0, "amable*": 1.9,
        "rápid*": 1.3, "fácil*": 1.0, "eficaz*": 1.8, "útil*": 1.6, "gracias": 1.5,
        "correct*": 0.7,
        "mal": -2.0, "malo": -2.5, "mala": -2.5, "horrible*": -3.0, "terrible*": -2.8,
        "pésim*": -3.0, "decepcion*": -2.0, "decepcionad*": -2.0, "roto": -2.3, "rota": -2.3,
        "dañad*": -2.2, "defectuos*": -2.3, "tarde": -1.0, "retras*": -1.6, "lent*": -1.2,
        "nunca más": -2.8, "estafa*": -3.0, "inaceptable*": -2.8, "desastre*": -3.0,
        "pesadilla*": -3.0, "problema*": -1.3, "caro": -1.2, "cara": -0.4,
        "insatisfech*": -2.2, "inútil*": -2.0, "esperando": -0.6, "todavía": -0.3,
        "error*": -1.5, "queja*": -1.5,
    },
    "nl": {
        "goed": 1.9, "heel goed": 2.6, "erg goed": 2.6, "super": 2.9, "geweldig*": 3.1,
        "uitstekend*": 3.1, "perfect*": 3.0, "prima": 2.2, "fantastisch*": 3.0,
        "vijf sterren": 2.5, "een ster": -1.5, "tevreden": 2.0, "blij": 2.4, "gelukkig": 2.6, "aanrader*": 2.4, "aanbevel*": 2.0,
        "vriendelijk*": 1.9, "behulpzaam*": 2.0, "snel*": 1.3, "makkelijk*": 1.0,
        "eenvoudig*": 0.9, "bedankt": 1.5, "dank": 1.3, "top": 2.5, "oké": 0.6, "oke": 0.6,
        "slecht*": -2.5, "vreselijk*": -2.9, "verschrikkelijk*": -3.0, "waardeloos*": -2.8,
        "teleurgesteld*": -2.0, "teleurstell*": -2.0, "kapot*": -2.3, "beschadigd*": -2.2,
        "defect*": -2.3, "laat": -1.0, "vertraag*": -1.6, "vertraging*": -1.6,
        "traag*": -1.2, "nooit meer": -2.8, "oplichting*": -3.0, "oplichter*": -3.0,
        "onacceptabel*": -2.8, "schandalig*": -2.8, "ramp*": -3.0, "nachtmerrie*": -3.0,
        "probleem*": -1.3, "problemen": -1.3, "duur": -1.2, "ontevreden*": -2.2,
        "onvriendelijk*": -2.2, "nutteloos*": -2.0, "wacht*": -0.6, "nog steeds": -0.4,
        "fout*": -1.5, "klacht*": -1.5,
    },
}

# Words that flip the next sentiment words (within `NEGATION_WINDOW` words before them).
NEGATORS: dict[str, frozenset[str]] = {
    "de": frozenset({"nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals",
                     "ohne", "weder", "noch nie"}),
    "fr": frozenset({"pas", "jamais", "ni", "aucun", "aucune", "sans", "guère", "rien"}),
    "es": frozenset({"no", "nunca", "ni", "ningún", "ninguna", "ninguno", "sin", "jamás", "nada"}),
    "nl": frozenset({"niet", "geen", "nooit", "zonder", "noch", "niets"}),
}

# Words that strengthen the next sentiment word.
BOOSTERS: dict[str, frozenset[str]] = {
    "de": frozenset({"sehr", "extrem", "total", "absolut", "wirklich", "echt", "so", "äußerst",
                     "besonders", "ziemlich"}),
    "fr": frozenset({"très", "vraiment", "trop", "extrêmement", "super", "tellement",
                     "absolument", "totalement", "si"}),
    "es": frozenset({"muy", "realmente", "super", "súper", "extremadamente", "totalmente",
                     "tan", "bastante", "demasiado"}),
    "nl": frozenset({"zeer", "erg", "echt", "heel", "super", "ontzettend", "enorm",
                     "totaal", "zo", "bijzonder"}),
}
