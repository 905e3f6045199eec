"""Feedback texts: an opener by tone and a sentence by tone and topic, in five languages.

Tone follows the rating (4-5 positive, 3 neutral, 1-2 negative), topic follows what happened to
the order (product, delivery, refund, service), so a late or refunded order reads negative.
"""

from __future__ import annotations

import numpy as np

from databank.demo.generator.vocab import LANGUAGES

TONES = ("positive", "neutral", "negative")
TOPICS = ("product", "delivery", "refund", "service")

# fmt: off
# language -> tone -> openers
OPENERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (("Great experience!", "Really happy with this order.", "Five stars from me."),
           ("It was okay.", "Mixed feelings.", "Not bad, not great."),
           ("Very disappointed.", "Terrible experience.", "Never again.")),
    "de": (("Tolle Erfahrung!", "Sehr zufrieden mit dieser Bestellung.", "Fünf Sterne von mir."),
           ("Es war in Ordnung.", "Gemischte Gefühle.", "Nicht schlecht, nicht toll."),
           ("Sehr enttäuscht.", "Schreckliche Erfahrung.", "Nie wieder.")),
    "fr": (("Super expérience !", "Très contente de cette commande.", "Cinq étoiles."),
           ("C'était correct.", "Avis mitigé.", "Ni bien ni mal."),
           ("Très déçu.", "Expérience horrible.", "Plus jamais.")),
    "es": (("¡Una experiencia genial!", "Muy contento con este pedido.", "Cinco estrellas."),
           ("Estuvo bien.", "Sensaciones encontradas.", "Ni bien ni mal."),
           ("Muy decepcionado.", "Una experiencia terrible.", "Nunca más.")),
    "nl": (("Geweldige ervaring!", "Erg blij met deze bestelling.", "Vijf sterren van mij."),
           ("Het was oké.", "Gemengde gevoelens.", "Niet slecht, niet geweldig."),
           ("Zeer teleurgesteld.", "Vreselijke ervaring.", "Nooit meer.")),
}

# language -> topic -> tone -> sentences
SENTENCES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "en": {
        "product": (
            ("The product is excellent and exactly as described.",
             "Quality is better than I expected.",
             "Works perfectly, I use it every day."),
            ("The product is fine but nothing special.",
             "Quality is average for the price.",
             "It does the job, although the finish could be better."),
            ("The product broke after a few days.",
             "Quality is poor and it looks cheap.",
             "It did not match the description at all."),
        ),
        "delivery": (
            ("Delivery was fast and the packaging was perfect.",
             "Arrived a day early, well packed.",
             "Quick shipping and easy tracking."),
            ("Delivery took a bit longer than promised.",
             "The parcel arrived late but intact.",
             "Shipping was slow, the product itself is fine."),
            ("My order arrived more than a week late.",
             "The parcel was late and nobody answered my emails.",
             "Delivery was a disaster, the box was damaged."),
        ),
        "refund": (
            ("The return was easy and the refund came quickly.",
             "Refund processed within two days, very smooth.",
             "Returning the item was painless."),
            ("I returned it; the refund took a while.",
             "The return worked but the process was slow.",
             "Got my money back eventually."),
            ("I had to return it and I am still waiting for my refund.",
             "The item was faulty and the refund took forever.",
             "Returned the order, the whole process was a nightmare."),
        ),
        "service": (
            ("Customer service was friendly and solved my problem.",
             "Support answered quickly and was very helpful.",
             "Great help from the support team."),
            ("Support answered, but it took several days.",
             "The service was polite but not very helpful.",
             "My question was answered eventually."),
            ("Customer service never solved my issue.",
             "Nobody from support got back to me.",
             "The support team was rude and unhelpful."),
        ),
    },
    "de": {
        "product": (
            ("Das Produkt ist hervorragend und genau wie beschrieben.",
             "Die Qualität ist besser als erwartet.",
             "Funktioniert perfekt, täglich im Einsatz."),
            ("Das Produkt ist okay, aber nichts Besonderes.",
             "Die Qualität ist durchschnittlich für den Preis.",
             "Erfüllt seinen Zweck, die Verarbeitung könnte besser sein."),
            ("Das Produkt war nach wenigen Tagen kaputt.",
             "Die Qualität ist schlecht und wirkt billig.",
             "Es entsprach überhaupt nicht der Beschreibung."),
        ),
        "delivery": (
            ("Die Lieferung war schnell und perfekt verpackt.",
             "Einen Tag früher angekommen, gut verpackt.",
             "Schneller Versand und einfache Sendungsverfolgung."),
            ("Die Lieferung dauerte etwas länger als versprochen.",
             "Das Paket kam verspätet, aber unbeschädigt.",
             "Der Versand war langsam, das Produkt selbst ist gut."),
            ("Meine Bestellung kam über eine Woche zu spät.",
             "Das Paket war verspätet und niemand hat auf meine E-Mails geantwortet.",
             "Die Lieferung war eine Katastrophe, der Karton war beschädigt."),
        ),
        "refund": (
            ("Die Rücksendung war einfach und das Geld kam schnell zurück.",
             "Erstattung innerhalb von zwei Tagen, sehr reibungslos.",
             "Die Rückgabe war völlig unkompliziert."),
            ("Ich habe es zurückgeschickt, die Erstattung dauerte etwas.",
             "Die Rücksendung hat geklappt, aber der Ablauf war langsam.",
             "Mein Geld kam irgendwann zurück."),
            ("Ich musste es zurückschicken und warte immer noch auf mein Geld.",
             "Der Artikel war defekt und die Erstattung dauerte ewig.",
             "Bestellung zurückgeschickt, der ganze Ablauf war ein Albtraum."),
        ),
        "service": (
            ("Der Kundenservice war freundlich und hat mein Problem gelöst.",
             "Der Support hat schnell geantwortet und sehr geholfen.",
             "Tolle Hilfe vom Support-Team."),
            ("Der Support hat geantwortet, aber erst nach mehreren Tagen.",
             "Der Service war höflich, aber nicht sehr hilfreich.",
             "Meine Frage wurde irgendwann beantwortet."),
            ("Der Kundenservice hat mein Problem nie gelöst.",
             "Niemand vom Support hat sich gemeldet.",
             "Das Support-Team war unhöflich und keine Hilfe."),
        ),
    },
    "fr": {
        "product": (
            ("Le produit est excellent et conforme à la description.",
             "La qualité est meilleure que prévu.",
             "Fonctionne parfaitement, je l'utilise tous les jours."),
            ("Le produit est correct, sans plus.",
             "Qualité moyenne pour le prix.",
             "Il fait le travail, mais les finitions pourraient être meilleures."),
            ("Le produit s'est cassé au bout de quelques jours.",
             "La qualité est mauvaise, ça fait bon marché.",
             "Il ne correspondait pas du tout à la description."),
        ),
        "delivery": (
            ("Livraison rapide et emballage parfait.",
             "Arrivé un jour plus tôt, bien emballé.",
             "Expédition rapide et suivi facile."),
            ("La livraison a pris un peu plus de temps que prévu.",
             "Le colis est arrivé en retard mais intact.",
             "Expédition lente, le produit lui-même est bien."),
            ("Ma commande est arrivée avec plus d'une semaine de retard.",
             "Le colis était en retard et personne n'a répondu à mes e-mails.",
             "La livraison a été une catastrophe, le carton était abîmé."),
        ),
        "refund": (
            ("Le retour était simple et le remboursement rapide.",
             "Remboursement traité en deux jours, très fluide.",
             "Renvoyer l'article a été facile."),
            ("Je l'ai renvoyé, le remboursement a pris du temps.",
             "Le retour a fonctionné mais la procédure était lente.",
             "J'ai fini par être remboursé."),
            ("J'ai dû le renvoyer et j'attends toujours mon remboursement.",
             "L'article était défectueux et le remboursement a pris une éternité.",
             "Commande retournée, toute la procédure a été un cauchemar."),
        ),
        "service": (
            ("Le service client était aimable et a résolu mon problème.",
             "Le support a répondu vite et m'a beaucoup aidé.",
             "Excellente aide de l'équipe support."),
            ("Le support a répondu, mais après plusieurs jours.",
             "Le service était poli mais peu utile.",
             "On a fini par répondre à ma question."),
            ("Le service client n'a jamais résolu mon problème.",
             "Personne du support ne m'a recontacté.",
             "L'équipe support était impolie et inutile."),
        ),
    },
    "es": {
        "product": (
            ("El producto es excelente y tal como se describe.",
             "La calidad es mejor de lo que esperaba.",
             "Funciona perfectamente, lo uso a diario."),
            ("El producto está bien, pero nada especial.",
             "Calidad normal para el precio.",
             "Cumple su función, aunque los acabados podrían ser mejores."),
            ("El producto se rompió a los pocos días.",
             "La calidad es mala y parece barato.",
             "No se parecía en nada a la descripción."),
        ),
        "delivery": (
            ("La entrega fue rápida y el embalaje perfecto.",
             "Llegó un día antes y bien embalado.",
             "Envío rápido y seguimiento fácil."),
            ("La entrega tardó un poco más de lo prometido.",
             "El paquete llegó tarde pero en buen estado.",
             "El envío fue lento, el producto en sí está bien."),
            ("Mi pedido llegó con más de una semana de retraso.",
             "El paquete llegó tarde y nadie respondió a mis correos.",
             "La entrega fue un desastre, la caja llegó dañada."),
        ),
        "refund": (
            ("La devolución fue fácil y el reembolso llegó rápido.",
             "Reembolso tramitado en dos días, muy sencillo.",
             "Devolver el artículo fue muy fácil."),
            ("Lo devolví; el reembolso tardó un poco.",
             "La devolución funcionó, pero el proceso fue lento.",
             "Al final me devolvieron el dinero."),
            ("Tuve que devolverlo y sigo esperando el reembolso.",
             "El artículo estaba defectuoso y el reembolso tardó una eternidad.",
             "Devolví el pedido y todo el proceso fue una pesadilla."),
        ),
        "service": (
            ("El servicio al cliente fue amable y resolvió mi problema.",
             "El soporte respondió rápido y me ayudó mucho.",
             "Gran ayuda del equipo de soporte."),
            ("El soporte respondió, pero tardó varios días.",
             "El servicio fue educado pero poco útil.",
             "Al final respondieron a mi pregunta."),
            ("El servicio al cliente nunca resolvió mi problema.",
             "Nadie del soporte me volvió a contactar.",
             "El equipo de soporte fue grosero y no me ayudó."),
        ),
    },
    "nl": {
        "product": (
            ("Het product is uitstekend en precies zoals beschreven.",
             "De kwaliteit is beter dan verwacht.",
             "Werkt perfect, ik gebruik het elke dag."),
            ("Het product is prima, maar niets bijzonders.",
             "Gemiddelde kwaliteit voor de prijs.",
             "Het doet wat het moet doen, de afwerking kan beter."),
            ("Het product ging na een paar dagen kapot.",
             "De kwaliteit is slecht en het ziet er goedkoop uit.",
             "Het kwam helemaal niet overeen met de beschrijving."),
        ),
        "delivery": (
            ("De levering was snel en de verpakking perfect.",
             "Een dag eerder binnen, goed verpakt.",
             "Snelle verzending en makkelijk te volgen."),
            ("De levering duurde wat langer dan beloofd.",
             "Het pakket kwam te laat, maar onbeschadigd.",
             "Verzending was traag, het product zelf is goed."),
            ("Mijn bestelling kwam meer dan een week te laat.",
             "Het pakket was te laat en niemand beantwoordde mijn e-mails.",
             "De levering was een ramp, de doos was beschadigd."),
        ),
        "refund": (
            ("Retourneren was makkelijk en het geld kwam snel terug.",
             "Terugbetaling binnen twee dagen verwerkt, heel soepel.",
             "Het artikel terugsturen ging moeiteloos."),
            ("Ik heb het teruggestuurd; de terugbetaling duurde even.",
             "Het retour lukte, maar het proces was traag.",
             "Uiteindelijk kreeg ik mijn geld terug."),
            ("Ik moest het terugsturen en wacht nog steeds op mijn geld.",
             "Het artikel was defect en de terugbetaling duurde eindeloos.",
             "Bestelling teruggestuurd, het hele proces was een nachtmerrie."),
        ),
        "service": (
            ("De klantenservice was vriendelijk en loste mijn probleem op.",
             "De support reageerde snel en hielp me goed.",
             "Geweldige hulp van het supportteam."),
            ("De support reageerde, maar pas na een paar dagen.",
             "De service was beleefd maar niet erg behulpzaam.",
             "Mijn vraag werd uiteindelijk beantwoord."),
            ("De klantenservice heeft mijn probleem nooit opgelost.",
             "Niemand van de support heeft gereageerd.",
             "Het supportteam was onbeleefd en hielp niet."),
        ),
    },
}
# fmt: on

VARIANTS = 9  # 3 openers x 3 sentences


def all_texts() -> list[str]:
    """Every text, indexed by `text_index(language, tone, topic, variant)`."""
    texts = []
    for lang in LANGUAGES:
        for tone in range(len(TONES)):
            for topic in TOPICS:
                for variant in range(VARIANTS):
                    opener = OPENERS[lang][tone][variant // 3]
                    texts.append(f"{opener} {SENTENCES[lang][topic][tone][variant % 3]}")
    return texts


def text_index(
    language: np.ndarray, tone: np.ndarray, topic: np.ndarray, variant: np.ndarray
) -> np.ndarray:
    """Index into `all_texts()`, element-wise."""
    cell = (language * len(TONES) + tone) * len(TOPICS) + topic
    return cell * VARIANTS + variant
