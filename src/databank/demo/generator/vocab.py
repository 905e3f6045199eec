"""Fixed word lists of the fictional retailer: countries, names, places, user agents.

All of it is invented or generic; e-mail domains are the reserved `example.*` names.
Phone and postcode patterns: `9` is a random digit, `A` a random capital letter.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "nl")


@dataclass(frozen=True)
class Country:
    """What a customer's country decides: currency, language, formats, tax and regions."""

    code: str
    currency: str
    locales: tuple[str, ...]  # name lists to draw from; languages outside LANGUAGES write "en"
    phone_prefix: str
    phone_pattern: str
    postcode_pattern: str
    vat: float
    region_weights: tuple[float, float, float, float, float]  # north, south, east, west, central
    cities: tuple[str, ...]


# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country("DE", "EUR", ("de",), "+49", "1599999999", "99999", 0.19,
            (0.2, 0.05, 0.2, 0.1, 0.45),
            ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden", "Bremen")),
    Country("AT", "EUR", ("de",), "+43", "6649999999", "9999", 0.2,
            (0, 0.1, 0.4, 0, 0.5),
            ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck")),
    Country("FR", "EUR", ("fr",), "+33", "699999999", "99999", 0.2,
            (0.05, 0.3, 0, 0.5, 0.15),
            ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux")),
    Country("BE", "EUR", ("fr", "nl"), "+32", "479999999", "9999", 0.21,
            (0.3, 0, 0, 0.4, 0.3),
            ("Bruxelles", "Antwerpen", "Gent", "Liège", "Brugge")),
    Country("NL", "EUR", ("nl",), "+31", "699999999", "9999 AA", 0.21,
            (0.5, 0, 0, 0.45, 0.05),
            ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen")),
    Country("ES", "EUR", ("es",), "+34", "699999999", "99999", 0.21,
            (0, 0.85, 0.05, 0.1, 0),
            ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga")),
    Country("GB", "GBP", ("en",), "+44", "7999999999", "AA9 9AA", 0.2,
            (0.3, 0.1, 0, 0.6, 0),
            ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Birmingham")),
    Country("US", "USD", ("en",), "+1", "2129999999", "99999", 0.07,
            (0.1, 0.4, 0.1, 0.4, 0),
            ("New York", "Chicago", "Boston", "Austin", "Seattle", "Denver")),
    Country("SE", "SEK", ("sv",), "+46", "709999999", "999 99", 0.25,
            (0.85, 0, 0, 0, 0.15),
            ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås")),
    Country("PL", "PLN", ("pl",), "+48", "599999999", "99-999", 0.23,
            (0, 0.05, 0.85, 0, 0.1),
            ("Warszawa", "Kraków", "Gdańsk", "Wrocław", "Poznań", "Łódź")),
)

# share of a currency"s customers per country (currencies with one country are implied)
EUR_COUNTRY_WEIGHTS: dict[str, float] = {
    "DE": 0.36, "FR": 0.22, "ES": 0.16, "NL": 0.14, "AT": 0.06, "BE": 0.06,
}

FIRST_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (female, male)
    "de": (("Anna", "Lena", "Julia", "Sophie", "Marie", "Laura", "Katrin", "Jana", "Greta",
            "Jülide"),
           ("Lukas", "Jonas", "Felix", "Maximilian", "Paul", "Jörg", "Stefan", "Tobias",
            "Niklas", "Uwe")),
    "fr": (("Camille", "Léa", "Chloé", "Manon", "Inès", "Juliette", "Sarah", "Élodie",
            "Margaux", "Zoé"),
           ("Lucas", "Hugo", "Louis", "Gabriel", "Théo", "Nathan", "Jérôme", "Antoine",
            "Mathis", "Rémi")),
    "nl": (("Emma", "Sanne", "Lotte", "Fleur", "Noa", "Anouk", "Iris", "Femke", "Eva", "Maud"),
           ("Daan", "Sem", "Bram", "Lars", "Thijs", "Jesse", "Ruben", "Joris", "Stijn", "Milan")),
    "es": (("Lucía", "María", "Paula", "Carmen", "Sofía", "Elena", "Alba", "Marta", "Irene",
            "Nuria"),
           ("Hugo", "Pablo", "Álvaro", "Javier", "Diego", "Sergio", "Adrián", "Mario", "Iván",
            "Jorge")),
    "en": (("Olivia", "Amelia", "Emily", "Grace", "Chloe", "Ella", "Hannah", "Megan", "Lucy",
            "Ava"),
           ("Oliver", "Jack", "Harry", "George", "Noah", "James", "Ethan", "Liam", "Samuel",
            "Owen")),
    "sv": (("Elsa", "Maja", "Astrid", "Ingrid", "Saga", "Linnea", "Freja", "Ebba", "Tove",
            "Märta"),
           ("Erik", "Lars", "Oskar", "Nils", "Axel", "Gustav", "Björn", "Anders", "Sven",
            "Hugo")),
    "pl": (("Zofia", "Maja", "Hanna", "Aleksandra", "Natalia", "Wiktoria", "Agnieszka", "Ewa",
            "Kasia", "Małgorzata"),
           ("Jakub", "Jan", "Kacper", "Piotr", "Tomasz", "Łukasz", "Michał", "Paweł", "Marek",
            "Wojciech")),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
        "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"),
    "es": ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez",
        "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green"),
    "sv": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
        "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
        "Bengtsson", "Lindström"),
    "pl": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
        "Kwiatkowski", "Krawczyk"),
}

STREETS: dict[str, tuple[str, ...]] = {
    "de": ("Hauptstraße", "Gartenweg", "Bahnhofstraße", "Schillerstraße", "Lindenallee"),
    "fr": ("Rue de la Paix", "Avenue Victor Hugo", "Rue des Lilas", "Boulevard Voltaire"),
    "nl": ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Nieuwstraat"),
    "es": ("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Plaza España"),
    "en": ("High Street", "Station Road", "Church Lane", "Park Avenue", "Main Street"),
    "sv": ("Storgatan", "Drottninggatan", "Kungsgatan", "Skolgatan", "Parkvägen"),
    "pl": ("ulica Długa", "ulica Polna", "ulica Lipowa", "ulica Słoneczna", "aleja Róż"),
}
# fmt: on

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example.com")
GENDERS: tuple[str, ...] = ("female", "male", "other", "unknown")

BROWSER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
)
APP_AGENTS: tuple[str, ...] = (
    "NordhavnShop/4.2.0 (iOS 17.4; iPhone15,2)",
    "NordhavnShop/4.2.0 (Android 14; Pixel 8)",
)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail local parts: `Jülide Müller` -> `julide muller`."""
    text = text.lower().translate(str.maketrans({"ß": "ss", "ł": "l", "ø": "o", "æ": "ae"}))
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum())
