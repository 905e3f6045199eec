"""Keyword rules per language: categories, key topics and escalation words of customer feedback.

- A **category** is a broad area the feedback is about: delivery, price, quality, support,
  product, returns. Found by its own keywords, or implied by a key topic of it.
- A **key topic** is a specific finding inside a category (late_delivery, damaged_item, …).
- **Escalation** words signal a customer about to leave or take action (lawyer, chargeback,
  "never again"); they raise the priority score.

Keywords: one word or several, a trailing `*` matches every word starting with it; case and
accents are ignored (see `text.py`). Text whose language has no rules here is matched against the
rules of every language.
"""

from __future__ import annotations

CATEGORIES = ("delivery", "price", "quality", "support", "product", "returns")

CATEGORY_KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "en": ("deliver*", "shipping", "shipped", "shipment*", "parcel*", "package*", "arrived",
               "courier*", "tracking", "dispatch*"),
        "de": ("liefer*", "versand*", "versendet", "paket*", "zustell*", "angekommen", "sendung*",
               "kurier*"),
        "fr": ("livraison*", "livre", "livree", "colis", "expedi*", "arrive*", "transporteur*"),
        "es": ("entrega*", "envio*", "enviado", "paquete*", "llego", "mensajer*"),
        "nl": ("levering*", "geleverd", "bezorg*", "verzend*", "verzonden", "pakket*",
               "aangekomen", "koerier*"),
    },
    "price": {
        "en": ("price*", "cost*", "expensive", "cheap*", "money", "value for money", "overpriced"),
        "de": ("preis*", "kosten", "teuer*", "geld", "billig*", "gunstig*"),
        "fr": ("prix", "cout*", "cher", "chere", "argent"),
        "es": ("precio*", "coste*", "costo*", "caro", "dinero", "barato"),
        "nl": ("prijs*", "kosten", "duur", "geld", "goedkoop"),
    },
    "quality": {
        "en": ("quality", "qualities", "well made", "flimsy", "sturdy", "durable"),
        "de": ("qualitat*", "verarbeitung*", "minderwertig*"),
        "fr": ("qualite*", "finition*"),
        "es": ("calidad*", "acabado*"),
        "nl": ("kwaliteit*", "afwerking*"),
    },
    "support": {
        "en": ("support", "customer service", "service", "helpdesk", "agent*", "hotline",
               "answered", "got back to me", "help"),
        "de": ("kundendienst*", "kundenservice*", "support", "service", "hilfe", "hotline",
               "geantwortet", "antwort*"),
        "fr": ("service client*", "service", "assistance", "support", "sav", "repondu*",
               "reponse*"),
        "es": ("atencion al cliente", "servicio", "soporte", "asistencia", "respondi*",
               "respuesta*"),
        "nl": ("klantenservice*", "service", "support", "helpdesk", "beantwoord*", "antwoord*",
               "reactie*"),
    },
    "product": {
        "en": ("product*", "item*", "described", "description", "works", "size", "colour", "color"),
        "de": ("produkt*", "artikel*", "ware", "beschreibung*", "beschrieben", "grosse", "farbe"),
        "fr": ("produit*", "article*", "description*", "decrit*", "taille", "couleur*"),
        "es": ("producto*", "articulo*", "descripcion*", "descrito", "talla", "color"),
        "nl": ("product*", "artikel*", "beschrijving*", "beschreven", "maat", "kleur*"),
    },
    "returns": {
        "en": ("return*", "refund*", "money back", "exchange*"),
        "de": ("rucksend*", "zurucksend*", "zuruckgeschickt", "erstatt*", "ruckerstatt*",
               "umtausch*", "retour*", "geld zuruck"),
        "fr": ("retour*", "rembours*", "renvoy*", "echange*"),
        "es": ("devoluci*", "devolv*", "devuelt*", "reembols*", "cambio"),
        "nl": ("retour*", "terugbetal*", "teruggestuurd", "terugsturen", "geld terug", "ruil*"),
    },
}

# key topic -> (its category, {language: keywords})
TOPICS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "late_delivery": ("delivery", {
        "en": ("late", "delay*", "took longer", "still waiting", "slow shipping", "shipping was slow"),
        "de": ("verspat*", "spat", "spater", "verzoger*", "dauerte lange", "warte immer noch"),
        "fr": ("retard*", "toujours pas recu", "attends toujours"),
        "es": ("tarde", "retras*", "sigo esperando", "todavia no"),
        "nl": ("laat", "te laat", "vertraag*", "vertraging*", "wacht nog steeds"),
    }),
    "fast_delivery": ("delivery", {
        "en": ("fast", "quick*", "early", "on time", "arrived a day early"),
        "de": ("schnell*", "punktlich*", "fruher als"),
        "fr": ("rapide*", "en avance", "a temps", "a l heure"),
        "es": ("rapid*", "a tiempo", "antes de lo"),
        "nl": ("snel*", "op tijd", "eerder dan"),
    }),
    "damaged_item": ("quality", {
        "en": ("damaged", "broke*", "broken", "faulty", "defect*", "cracked", "scratched"),
        "de": ("beschadigt*", "kaputt*", "defekt*", "zerbrochen", "zerkratzt"),
        "fr": ("casse*", "abime*", "endommage*", "defectueu*", "raye*"),
        "es": ("roto", "rota", "danad*", "defectuos*", "rayad*"),
        "nl": ("kapot*", "beschadigd*", "defect*", "gebroken", "bekrast"),
    }),
    "poor_quality": ("quality", {
        "en": ("poor quality", "bad quality", "low quality", "looks cheap", "flimsy", "cheaply made"),
        "de": ("schlechte qualitat", "minderwertig*", "billig verarbeitet", "sieht billig aus"),
        "fr": ("mauvaise qualite", "qualite mediocre", "qualite mauvaise", "fait bon marche"),
        "es": ("mala calidad", "calidad mala", "baja calidad", "parece barato"),
        "nl": ("slechte kwaliteit", "kwaliteit is slecht", "ziet er goedkoop uit"),
    }),
    "good_quality": ("quality", {
        "en": ("good quality", "great quality", "high quality", "excellent quality", "well made",
               "sturdy", "better than i expected"),
        "de": ("gute qualitat", "tolle qualitat", "hochwertig*", "besser als erwartet"),
        "fr": ("bonne qualite", "excellente qualite", "meilleure que prevu", "mieux que prevu"),
        "es": ("buena calidad", "excelente calidad", "mejor de lo esperado"),
        "nl": ("goede kwaliteit", "hoge kwaliteit", "beter dan verwacht"),
    }),
    "not_as_described": ("product", {
        "en": ("not as described", "did not match", "does not match", "wrong item", "wrong size",
               "not what i ordered"),
        "de": ("nicht wie beschrieben", "entsprach nicht", "falscher artikel", "falsche grosse"),
        "fr": ("pas conforme", "ne correspond pas", "ne correspondait pas", "mauvais article"),
        "es": ("no coincide", "no correspond*", "articulo equivocado", "no es lo que"),
        "nl": ("niet zoals beschreven", "kwam niet overeen", "komt niet overeen", "verkeerd artikel"),
    }),
    "refund_delay": ("returns", {
        "en": ("waiting for my refund", "refund took", "still waiting for my refund", "no refund"),
        "de": ("warte auf meine erstattung", "erstattung dauerte", "keine erstattung",
               "noch keine erstattung", "warte noch auf"),
        "fr": ("attends mon remboursement", "remboursement a pris", "pas de remboursement",
               "toujours pas rembourse"),
        "es": ("esperando mi reembolso", "esperando el reembolso", "reembolso tardo",
               "sin reembolso"),
        "nl": ("wacht op mijn terugbetaling", "wacht nog op", "terugbetaling duurde",
               "geen terugbetaling"),
    }),
    "no_response": ("support", {
        "en": ("nobody answered", "no answer", "no response", "never answered", "never replied",
               "nobody got back", "never solved", "no one", "nobody"),
        "de": ("keine antwort", "niemand", "nie gelost", "nie beantwortet", "nie geantwortet"),
        "fr": ("aucune reponse", "pas de reponse", "personne", "jamais resolu", "jamais repondu"),
        "es": ("ninguna respuesta", "sin respuesta", "nadie", "nunca resolvi*", "nunca respondi*"),
        "nl": ("geen antwoord", "geen reactie", "niemand", "nooit opgelost", "nooit beantwoord"),
    }),
    "helpful_support": ("support", {
        "en": ("helpful", "friendly", "solved my problem", "quickly answered", "answered quickly"),
        "de": ("hilfsbereit*", "freundlich*", "hilfreich*", "problem gelost", "schnell geantwortet"),
        "fr": ("aimable*", "serviable*", "resolu mon", "sympathique*"),
        "es": ("amable*", "resolvi* mi problema", "muy util", "atent*"),
        "nl": ("vriendelijk*", "behulpzaam*", "opgelost", "snel geantwoord"),
    }),
    "price_too_high": ("price", {
        "en": ("too expensive", "overpriced", "expensive", "pricey", "not worth"),
        "de": ("zu teuer", "teuer*", "uberteuert*"),
        "fr": ("trop cher", "cher", "chere", "hors de prix"),
        "es": ("demasiado caro", "caro", "carisimo"),
        "nl": ("te duur", "duur", "prijzig"),
    }),
    "good_value": ("price", {
        "en": ("good value", "great value", "value for money", "worth the money", "bargain",
               "affordable", "good price"),
        "de": ("preiswert*", "gunstig*", "preis-leistung*", "preis leistung*", "guter preis"),
        "fr": ("bon rapport", "bon prix", "pas cher", "abordable*"),
        "es": ("buen precio", "barato", "economic*", "vale la pena"),
        "nl": ("goede prijs", "voordelig*", "waar voor je geld", "goedkoop"),
    }),
    "packaging": ("delivery", {
        "en": ("packag*", "packed", "box"),
        "de": ("verpack*", "karton*"),
        "fr": ("emballage*", "emballe*", "carton*"),
        "es": ("embalaje*", "empaque*", "caja"),
        "nl": ("verpak*", "doos"),
    }),
}

ESCALATION: dict[str, tuple[str, ...]] = {
    "en": ("never again", "lawyer*", "legal action", "chargeback*", "cancel*", "unacceptable",
           "scam*", "fraud*", "complaint*", "report you", "worst", "nightmare", "disaster"),
    "de": ("nie wieder", "anwalt*", "betrug*", "unverschamt*", "beschwerde*", "kundig*",
           "verbraucherzentrale", "katastroph*", "albtraum*", "alptraum*", "inakzeptabel*"),
    "fr": ("plus jamais", "avocat*", "arnaque*", "inadmissible*", "plainte*", "scandal*",
           "cauchemar*", "catastroph*", "inacceptable*", "resilier*"),
    "es": ("nunca mas", "abogado*", "estafa*", "inaceptable*", "denuncia*", "reclamacion*",
           "pesadilla*", "desastre*", "cancelar*"),
    "nl": ("nooit meer", "advocaat*", "oplichting*", "onacceptabel*", "klacht*", "schandalig*",
           "nachtmerrie*", "ramp*", "opzeggen"),
}
