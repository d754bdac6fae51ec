"""`manage.py demo_data`: a small, realistic club to click through in development.

Deterministic (fixed names, fixed Discord ids, a seeded random generator per game; dates keep
the same shape relative to today), idempotent (every row is keyed on a natural key: Discord id,
name, or a game's name and GM, and a game that already exists is left untouched with its
children), and all in one transaction. Every row goes through full_clean() before it is saved,
so the demo data also proves the model constraints.

The three personas of DEMO_PERSONAS have fixed Discord ids that the development sign-in offers.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from accounts.demo import DEMO_PERSONAS
from accounts.models import User
from catalog.models import Channel, ClubSettings, GameType, PostChannel, SpecialEvent, System, Vtt
from games.models import (
    CLASSIFICATION_KEYS,
    Ambience,
    Characters,
    ClosedReason,
    Experience,
    Frequency,
    Game,
    GameEvent,
    GameEventAction,
    GameSession,
    GameStatus,
    Length,
    Registration,
    RegistrationState,
    Restriction,
)
from trophies.models import (
    TROPHY_CAMPAIGN,
    TROPHY_CAMPAIGN_GM,
    TROPHY_OS,
    TROPHY_OS_GM,
    UserTrophy,
)

DEMO_SEED = 20261031


@dataclass(frozen=True)
class DemoMember:
    username: str
    display_name: str
    is_gm: bool = False
    left_days_ago: int | None = None  # left the Discord server that many days ago


# Other members, given Discord ids 110000000000000001, …002, … in this order.
MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("mathilde", "Mathilde Roux", is_gm=True),
    DemoMember("hugo.lfv", "Hugo Lefèvre", is_gm=True),
    DemoMember("ines_b", "Inès Benali", is_gm=True),
    DemoMember("thibault", "Thibault Garnier", is_gm=True),
    DemoMember("nora.k", "Nora Kowalski", is_gm=True),
    DemoMember("lea.martin", "Léa Martin"),
    DemoMember("lucasb", "Lucas Bernard"),
    DemoMember("chloe_d", "Chloé Dubois"),
    DemoMember("theo.moreau", "Théo Moreau"),
    DemoMember("manon", "Manon Laurent"),
    DemoMember("nathan_s", "Nathan Simon"),
    DemoMember("emmam", "Emma Michel"),
    DemoMember("louis.lf", "Louis Lefebvre"),
    DemoMember("jade", "Jade Leroy"),
    DemoMember("raph", "Raph le Barde"),
    DemoMember("zoe.bonnet", "Zoé Bonnet"),
    DemoMember("arthur_d", "Arthur Dupont"),
    DemoMember("lina", "Lina Lambert"),
    DemoMember("jules.f", "Jules Fontaine"),
    DemoMember("rose_c", "Rose Chevalier"),
    DemoMember("adamrobin", "Adam Robin"),
    DemoMember("alice.g", "Alice Gauthier"),
    DemoMember("noe", "Noé Perrin"),
    DemoMember("louise_m", "Louise Morel"),
    DemoMember("sacha.m", "Sacha Mercier"),
    DemoMember("anna.b", "Anna Blanc"),
    DemoMember("tomg", "Tom Guérin"),
    DemoMember("clara", "Clara Boyer"),
    DemoMember("mael", "Maël Faure"),
    DemoMember("yasmine", "Yasmine Haddad"),
    DemoMember("elsa.a", "Elsa André", left_days_ago=75),
    DemoMember("victor.c", "Victor Caron", left_days_ago=40),
    DemoMember("paulm", "Paul Mathieu"),
)

SYSTEMS = (
    "Donjons & Dragons 5e",
    "L'Appel de Cthulhu v7",
    "Pathfinder 2e",
    "Vampire : la Mascarade V5",
    "Chroniques Oubliées Fantasy",
    "Alien RPG",
    "Blades in the Dark",
    "Nimble",
    "Brindlewood Bay",
    "Mörk Borg",
)
VTTS = ("Foundry VTT", "Roll20", "Owlbear Rodeo", "Discord uniquement")
HALLOWEEN = "Halloween"
WINTER_CONVENTION = "Convention d'hiver"
SPECIAL_EVENTS = (
    (HALLOWEEN, "🎃", "#ff7518", True),
    (WINTER_CONVENTION, "❄️", "#5bc0eb", False),
)
POST_CHANNELS = (
    ("📢 annonces-générales", "160000000000000001"),
    ("🎉 événements", "160000000000000002"),
)
# Discord categories: (id, type, number in the name template).
CATEGORIES = (
    ("120000000000000001", GameType.ONESHOT, 1),
    ("120000000000000002", GameType.ONESHOT, 2),
    ("120000000000000003", GameType.CAMPAIGN, 1),
)

# French texts of the audit trail (original-domain §4).
TEXT_CREATED = "Annonce créée avec le statut draft."
TEXT_EDITED = "Le contenu de l'annonce a été édité."
TEXT_PUBLISHED = "L'annonce a été publiée et ouverte."
TEXT_SILENT = "L'annonce a été ouverte silencieusement."
TEXT_CLOSED = "L'annonce a été fermée aux inscriptions."
TEXT_FULL = (
    "Annonce fermée automatiquement après avoir atteint le nombre max de joueur·euses ({n})."
)
TEXT_ARCHIVED = "L'annonce a été archivée."
TEXT_ARCHIVED_DONE = "Annonce archivée. Badges distribués."
TEXT_BADGES = "Badges distribués : 1 au MJ, {n} aux joueur·euses."
TEXT_SESSION = "Une session a été créée du {start} au {end}."
TEXT_REGISTER = "Le·a joueur·euse s'est inscrit·e sur l'annonce."
TEXT_ADDED = "Le·a joueur·euse a été ajouté·e à la partie par le MJ."
TEXT_CANDIDATE = "Le·a joueur·euse a proposé sa candidature."
TEXT_WAITLIST = "Le·a joueur·euse a rejoint la liste d'attente."
TEXT_UNREGISTER = "Le·a joueur·euse a été désinscrit·e de l'annonce."
TEXT_ALERT = "Un signalement a été fait."

FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.MONTHLY: 28}

OPEN, CLOSED, DRAFT, ARCHIVED = (
    GameStatus.OPEN,
    GameStatus.CLOSED,
    GameStatus.DRAFT,
    GameStatus.ARCHIVED,
)
CAMPAIGN = GameType.CAMPAIGN


@dataclass(frozen=True)
class DemoGame:
    name: str
    gm: str  # username of a persona or a member
    system: str
    status: str
    day: int  # first session, in days from today
    description: str
    vtt: str = "Foundry VTT"
    type: str = GameType.ONESHOT
    event: str = ""
    closed_reason: str = ""
    at: str = "20:30"
    session_length: str = "3.5"
    length: str = Length.ONE
    frequency: str = ""
    sessions: int = 1
    party_size: int = 4
    party_selection: bool = False
    xp: str = Experience.ALL
    characters: str = Characters.WITH_GM
    restriction: str = Restriction.ALL
    tags: str = ""
    classification: tuple[int, int, int, int] = (1, 1, 1, 0)  # action, investigation, …
    ambience: tuple[str, ...] = ()
    complement: str = ""
    img: bool = False
    registered: int = 0  # seats taken
    players: tuple[str, ...] = ()  # members certain to hold one of them
    added_by_gm: int = 0  # seats the GM filled himself (all of them on silent and selection games)
    waitlist: tuple[str, ...] = ()
    waitlist_size: int = 0
    candidates: tuple[str, ...] = ()
    candidate_count: int = 0
    edited: bool = False
    alert: bool = False
    left: bool = False  # a player registered, then left


GAMES: tuple[DemoGame, ...] = (
    # — Drafts
    DemoGame(
        "La Tour de l'Horloge Brisée",
        "gaspard",
        "Nimble",
        DRAFT,
        40,
        "Au sommet de la tour, l'horloge s'est arrêtée à minuit moins une et le temps s'effrite "
        "dans toute la ville. Une aventure rapide pour découvrir Nimble, ses combats nerveux et "
        "ses héros qui encaissent.",
        session_length="4.0",
        classification=(2, 1, 1, 0),
        ambience=(Ambience.EPIC, Ambience.COMIC),
        characters=Characters.PREGEN,
        xp=Experience.BEGINNERS,
        edited=True,
    ),
    DemoGame(
        "Les Héritiers d'Arkham",
        "ines_b",
        "L'Appel de Cthulhu v7",
        DRAFT,
        55,
        "Un notaire d'Arkham convoque les héritiers d'un professeur disparu. Le testament est "
        "étrange, la maison plus encore. Campagne d'enquête au long cours, années 1920.",
        type=CAMPAIGN,
        length=Length.ABOUT_TEN,
        frequency=Frequency.BIWEEKLY,
        party_size=5,
        restriction=Restriction.SIXTEEN,
        tags="folie, disparition, secte",
        classification=(0, 2, 2, 2),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.SELF,
        xp=Experience.SEASONED,
    ),
    # — Open
    DemoGame(
        "Le Manoir des Murmures",
        "gaspard",
        "L'Appel de Cthulhu v7",
        OPEN,
        5,
        "La nuit d'Halloween, une soirée costumée dans un manoir de la Nouvelle-Angleterre tourne "
        "mal : les invités disparaissent un à un et les murs chuchotent. Frissons garantis.",
        event=HALLOWEEN,
        party_size=5,
        restriction=Restriction.SIXTEEN,
        tags="maison hantée, folie",
        classification=(1, 2, 1, 2),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.PREGEN,
        img=True,
        registered=3,
        players=("camille",),
        edited=True,
    ),
    DemoGame(
        "Citrouilles et Sortilèges",
        "mathilde",
        "Chroniques Oubliées Fantasy",
        OPEN,
        9,
        "La sorcière du village a perdu son grimoire et les citrouilles se sont réveillées. "
        "Une partie légère et drôle, idéale pour une première fois autour de la table.",
        vtt="Owlbear Rodeo",
        event=HALLOWEEN,
        at="15:00",
        session_length="3.0",
        classification=(1, 1, 2, 0),
        ambience=(Ambience.CHILL, Ambience.COMIC),
        characters=Characters.PREGEN,
        xp=Experience.BEGINNERS,
        registered=2,
    ),
    DemoGame(
        "Bal masqué chez les Toreador",
        "nora.k",
        "Vampire : la Mascarade V5",
        OPEN,
        12,
        "La Harpie de Lyon donne un bal pour la nuit des morts. Intrigues, alliances et coups "
        "bas sous les masques : chaque invité a un secret, et certains ne reverront pas l'aube.",
        vtt="Discord uniquement",
        event=HALLOWEEN,
        at="21:00",
        session_length="4.0",
        party_selection=True,
        restriction=Restriction.EIGHTEEN,
        tags="manipulation, violence, sang",
        classification=(0, 1, 2, 1),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.CHOICE,
        xp=Experience.SEASONED,
        complement="Sur sélection : dites-moi en deux lignes le Caïnite que vous aimeriez jouer.",
        img=True,
        registered=1,
        candidates=("camille",),
        candidate_count=3,
    ),
    DemoGame(
        "La Couronne de Cendres",
        "gaspard",
        "Donjons & Dragons 5e",
        OPEN,
        -21,
        "Le roi est mort, sa couronne a brûlé avec lui et trois prétendants se disputent le "
        "royaume de Valmont. Campagne épique de niveau 3 à 10, avec de la politique et des "
        "dragons.",
        type=CAMPAIGN,
        length=Length.TWENTY_PLUS,
        frequency=Frequency.WEEKLY,
        sessions=5,
        party_size=5,
        classification=(2, 1, 2, 0),
        ambience=(Ambience.EPIC,),
        characters=Characters.SELF,
        complement="Création des personnages en session zéro ; règles de 2024 avec quelques "
        "options de Tasha.",
        img=True,
        registered=4,
        players=("camille",),
    ),
    DemoGame(
        "Marathon : La Nuit du Ver",
        "hugo.lfv",
        "Mörk Borg",
        OPEN,
        26,
        "Douze heures pour traverser la Forêt Sarkash avant que le Ver ne se réveille. "
        "Personnages jetables, mort rapide et beaucoup de dés : prévoyez à manger.",
        at="10:00",
        session_length="12.0",
        party_size=6,
        restriction=Restriction.EIGHTEEN,
        tags="gore, mort des personnages",
        classification=(2, 0, 1, 2),
        ambience=(Ambience.EPIC, Ambience.COMIC),
        characters=Characters.SELF,
        complement="Pauses repas à 13 h et 19 h.",
        registered=2,
    ),
    DemoGame(
        "Les Lames de Doskvol",
        "thibault",
        "Blades in the Dark",
        OPEN,
        18,
        "Une bande de malfrats débutants veut se faire un nom dans la ville sans soleil. "
        "Coups montés, factions et dettes : la campagne suivra les ambitions du groupe.",
        vtt="Roll20",
        type=CAMPAIGN,
        length=Length.TEN_PLUS,
        frequency=Frequency.BIWEEKLY,
        sessions=2,
        party_selection=True,
        restriction=Restriction.SIXTEEN,
        tags="crime, violence",
        classification=(1, 1, 2, 0),
        ambience=(Ambience.SERIOUS, Ambience.EPIC),
        characters=Characters.SELF,
        registered=1,
        candidate_count=2,
    ),
    DemoGame(
        "Mystère à Brindlewood Bay",
        "ines_b",
        "Brindlewood Bay",
        OPEN,
        3,
        "Un cadavre au club de lecture : les Mamies du Murder Club reprennent du service. "
        "Enquête douce et bienveillante, les indices se construisent à la table.",
        vtt="Discord uniquement",
        at="14:00",
        session_length="3.0",
        classification=(0, 2, 2, 0),
        ambience=(Ambience.CHILL, Ambience.COMIC),
        characters=Characters.PREGEN,
        registered=1,
        left=True,
    ),
    # — Closed because full
    DemoGame(
        "Le Sanctuaire Englouti",
        "gaspard",
        "Pathfinder 2e",
        CLOSED,
        7,
        "La marée a découvert un temple que la mer gardait depuis mille ans. Exploration, "
        "pièges et une créature qui n'aime pas les visiteurs. Personnages de niveau 5 fournis.",
        closed_reason=ClosedReason.FULL,
        session_length="4.5",
        classification=(2, 1, 0, 1),
        ambience=(Ambience.EPIC,),
        characters=Characters.PREGEN,
        registered=4,
        added_by_gm=1,
        waitlist=("camille",),
        waitlist_size=2,
    ),
    DemoGame(
        "Destination LV-426",
        "hugo.lfv",
        "Alien RPG",
        CLOSED,
        14,
        "Un cargo minier ne répond plus. L'équipage du Montero est envoyé voir. Mode cinématique "
        ": tout le monde a un agenda secret et peu de monde verra le générique.",
        closed_reason=ClosedReason.FULL,
        event=HALLOWEEN,
        at="21:00",
        session_length="4.0",
        party_size=3,
        restriction=Restriction.SIXTEEN,
        tags="horreur corporelle, trahison",
        classification=(2, 1, 1, 2),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.PREGEN,
        img=True,
        registered=3,
        waitlist_size=1,
    ),
    DemoGame(
        "Les Marches d'Ostrava",
        "mathilde",
        "Donjons & Dragons 5e",
        CLOSED,
        -28,
        "Une baronnie frontalière à défricher : cartes vierges, forts en ruine et voisins "
        "envahissants. Campagne bac à sable, les joueur·euses choisissent où aller.",
        vtt="Roll20",
        type=CAMPAIGN,
        closed_reason=ClosedReason.FULL,
        length=Length.TEN_PLUS,
        frequency=Frequency.BIWEEKLY,
        sessions=4,
        party_size=5,
        classification=(2, 1, 1, 0),
        ambience=(Ambience.EPIC, Ambience.CHILL),
        characters=Characters.SELF,
        registered=5,
        players=("camille",),
        waitlist_size=1,
    ),
    # — Closed by the GM
    DemoGame(
        "L'Affaire du Train de Minuit",
        "ines_b",
        "L'Appel de Cthulhu v7",
        CLOSED,
        20,
        "Orient-Express, 1925. Un passager meurt entre Vienne et Budapest et personne n'a quitté "
        "le train. Huis clos d'enquête avec une touche de surnaturel.",
        closed_reason=ClosedReason.MANUAL,
        at="20:00",
        session_length="4.0",
        party_size=5,
        restriction=Restriction.SIXTEEN,
        tags="meurtre, folie",
        classification=(0, 2, 2, 1),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.PREGEN,
        complement="Inscriptions fermées le temps de valider la composition de la table.",
        registered=3,
        players=("gaspard",),
        alert=True,
    ),
    DemoGame(
        "Sang Neuf à Chicago",
        "nora.k",
        "Vampire : la Mascarade V5",
        CLOSED,
        -35,
        "Jeunes infants lâchés dans le Chicago nocturne, entre Camarilla et Anarchs. Une "
        "chronique mensuelle pour découvrir la Mascarade à son rythme.",
        type=CAMPAIGN,
        closed_reason=ClosedReason.MANUAL,
        length=Length.ABOUT_TEN,
        frequency=Frequency.MONTHLY,
        at="21:00",
        sessions=3,
        restriction=Restriction.EIGHTEEN,
        tags="sang, addiction, violence",
        classification=(1, 1, 2, 1),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.WITH_GM,
        registered=3,
        edited=True,
    ),
    # — Opened without announcement
    DemoGame(
        "Test de règles : Nimble en une soirée",
        "thibault",
        "Nimble",
        CLOSED,
        6,
        "Soirée test avant d'ouvrir une vraie table : on lance des dés, on casse des règles, "
        "on donne son avis. Ambiance détendue.",
        vtt="Owlbear Rodeo",
        closed_reason=ClosedReason.SILENT,
        session_length="2.5",
        classification=(2, 0, 1, 0),
        ambience=(Ambience.CHILL,),
        characters=Characters.PREGEN,
        registered=2,
    ),
    DemoGame(
        "La Compagnie du Corbeau",
        "alix",
        "Pathfinder 2e",
        CLOSED,
        -14,
        "Suite de la campagne de l'an dernier pour la même table : mercenaires en route vers "
        "les Terres Volées. Table complète d'avance, ouverte sans annonce.",
        type=CAMPAIGN,
        closed_reason=ClosedReason.SILENT,
        length=Length.TEN_PLUS,
        frequency=Frequency.WEEKLY,
        sessions=3,
        classification=(2, 1, 1, 0),
        ambience=(Ambience.EPIC,),
        characters=Characters.SELF,
        xp=Experience.SEASONED,
        registered=3,
        players=("camille",),
    ),
    # — Archived
    DemoGame(
        "Les Masques du Carnaval",
        "gaspard",
        "L'Appel de Cthulhu v7",
        ARCHIVED,
        -150,
        "Venise, carnaval de 1923. Un masque volé au palais Contarini et une confrérie qui "
        "attend la dernière nuit des festivités pour agir.",
        restriction=Restriction.SIXTEEN,
        tags="culte, noyade",
        classification=(1, 2, 2, 1),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.PREGEN,
        registered=4,
        players=("camille",),
    ),
    DemoGame(
        "Le Refuge des Neiges",
        "hugo.lfv",
        "Mörk Borg",
        ARCHIVED,
        -120,
        "La tempête a bloqué le col et le refuge n'a plus de bois. Quelque chose gratte à la "
        "porte. Partie de la convention d'hiver, mort rapide garantie.",
        vtt="Discord uniquement",
        event=WINTER_CONVENTION,
        at="14:00",
        session_length="4.0",
        party_size=5,
        restriction=Restriction.SIXTEEN,
        tags="froid, cannibalisme",
        classification=(2, 0, 1, 2),
        ambience=(Ambience.EPIC, Ambience.COMIC),
        characters=Characters.SELF,
        registered=5,
    ),
    DemoGame(
        "Contes du Solstice",
        "ines_b",
        "Chroniques Oubliées Fantasy",
        ARCHIVED,
        -119,
        "Trois contes d'hiver racontés au coin du feu, chacun joué par la table. Une partie "
        "douce de la convention d'hiver, parfaite pour débuter.",
        vtt="Owlbear Rodeo",
        event=WINTER_CONVENTION,
        at="10:00",
        session_length="3.0",
        classification=(1, 1, 2, 0),
        ambience=(Ambience.CHILL,),
        characters=Characters.PREGEN,
        xp=Experience.BEGINNERS,
        registered=3,
        players=("victor.c",),
    ),
    DemoGame(
        "La Mine Perdue de Phandelver",
        "gaspard",
        "Donjons & Dragons 5e",
        ARCHIVED,
        -180,
        "Le grand classique pour débuter : escorter un chariot jusqu'à Phandaline et découvrir "
        "ce que cache la mine de l'Écho des Vagues. Niveaux 1 à 5.",
        type=CAMPAIGN,
        length=Length.ABOUT_TEN,
        frequency=Frequency.WEEKLY,
        sessions=8,
        party_size=5,
        classification=(2, 1, 1, 0),
        ambience=(Ambience.EPIC, Ambience.CHILL),
        characters=Characters.WITH_GM,
        xp=Experience.BEGINNERS,
        img=True,
        registered=5,
        players=("camille", "elsa.a"),
    ),
    DemoGame(
        "Un Coup à Doskvol",
        "thibault",
        "Blades in the Dark",
        ARCHIVED,
        -60,
        "Voler le cœur de démon du coffre de la Maison Dunvil, en deux soirées. Le plan se "
        "fera en jouant, grâce aux flashbacks.",
        vtt="Roll20",
        length=Length.TWO,
        sessions=2,
        session_length="3.0",
        restriction=Restriction.SIXTEEN,
        tags="crime",
        classification=(1, 1, 2, 0),
        ambience=(Ambience.EPIC, Ambience.COMIC),
        characters=Characters.PREGEN,
        registered=4,
    ),
    DemoGame(
        "Les Larmes d'Ishtar",
        "nora.k",
        "Vampire : la Mascarade V5",
        ARCHIVED,
        -170,
        "Une relique babylonienne refait surface dans une vente aux enchères parisienne et "
        "trois clans la veulent. Chronique courte pour une table choisie.",
        type=CAMPAIGN,
        length=Length.ABOUT_FIVE,
        frequency=Frequency.BIWEEKLY,
        sessions=6,
        at="21:00",
        party_size=3,
        party_selection=True,
        restriction=Restriction.EIGHTEEN,
        tags="sang, manipulation",
        classification=(1, 2, 2, 1),
        ambience=(Ambience.SERIOUS,),
        characters=Characters.SELF,
        xp=Experience.SEASONED,
        registered=3,
        players=("gaspard",),
    ),
    DemoGame(
        "L'Assaut de la Station Hadley",
        "hugo.lfv",
        "Alien RPG",
        ARCHIVED,
        -45,
        "Les marines coloniaux arrivent sur une colonie muette. Tout le monde connaît le film, "
        "personne ne connaît la fin de cette version.",
        session_length="5.0",
        restriction=Restriction.SIXTEEN,
        tags="horreur corporelle",
        classification=(2, 1, 1, 2),
        ambience=(Ambience.EPIC,),
        characters=Characters.PREGEN,
        registered=3,
    ),
    DemoGame(
        "Meurtre au Club de Tricot",
        "alix",
        "Brindlewood Bay",
        ARCHIVED,
        -20,
        "Qui a empoisonné le thé de Mrs Pemberton pendant le concours de tricot ? Une enquête "
        "cosy où la solution est celle que la table trouve.",
        vtt="Discord uniquement",
        at="15:00",
        session_length="3.0",
        classification=(0, 2, 2, 0),
        ambience=(Ambience.CHILL, Ambience.COMIC),
        characters=Characters.PREGEN,
        registered=4,
        players=("camille",),
    ),
)


@dataclass
class Story:
    """The audit trail of one demo game, written in order once the game is complete."""

    rng: random.Random
    now: datetime.datetime
    published_at: datetime.datetime
    signup_end: datetime.datetime
    last_signup: datetime.datetime | None = None
    events: list[tuple] = field(default_factory=list)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """A random instant in [start, end] (start itself when the window is empty)."""
        if end <= start:
            return start
        return (start + (end - start) * self.rng.random()).replace(microsecond=0)

    def log(self, when, action: str, description: str, *, actor=None, subject=None) -> None:
        self.events.append((min(when, self.now), action, actor, subject, description))


def _short(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _saved(obj: models.Model) -> models.Model:
    obj.full_clean()
    obj.save()
    return obj


class Command(BaseCommand):
    help = (
        "Load a demo club (members, games in every state, sessions, registrations, badges). "
        "Deterministic and idempotent; development only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (never on the production database).",
        )

    def handle(self, *args, **options) -> None:
        # The demo creates a superuser with a fixed Discord id: keep it off production.
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is for development: set DEBUG=1 or pass --force.")
        self.verbosity = options["verbosity"]
        self.created = Counter()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.new_archived: list[int] = []
        with transaction.atomic():
            call_command("seed", verbosity=self.verbosity)
            self.create_catalog()
            self.create_members()
            self.create_categories()
            for number, spec in enumerate(GAMES, start=1):
                self.create_game(number, spec)
            self.award_badges()
        if self.verbosity >= 1:
            self.report()

    # — Reference data

    def get_or_add(self, model: type[models.Model], counter: str, lookup: dict, **defaults):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = _saved(model(**lookup, **defaults))
            self.created[counter] += 1
        return obj

    def create_catalog(self) -> None:
        self.systems = {
            name: self.get_or_add(System, "systems", {"name": name}) for name in SYSTEMS
        }
        self.vtts = {name: self.get_or_add(Vtt, "vtts", {"name": name}) for name in VTTS}
        self.events = {
            name: self.get_or_add(
                SpecialEvent,
                "special events",
                {"name": name},
                emoji=emoji,
                color=color,
                active=active,
            )
            for name, emoji, color, active in SPECIAL_EVENTS
        }
        for label, discord_id in POST_CHANNELS:
            self.get_or_add(
                PostChannel, "postable channels", {"discord_id": discord_id}, label=label
            )

    def create_members(self) -> None:
        rows = [
            (p.discord_id, p.username, p.display_name, p.is_gm, p.is_staff, p.is_superuser, None)
            for p in DEMO_PERSONAS.values()
        ] + [
            (
                str(110_000_000_000_000_001 + index),
                member.username,
                member.display_name,
                member.is_gm,
                False,
                False,
                member.left_days_ago,
            )
            for index, member in enumerate(MEMBERS)
        ]
        existing = {
            user.discord_id: user
            for user in User.objects.filter(discord_id__in=[row[0] for row in rows])
        }
        self.members: dict[str, User] = {}
        for index, (discord_id, username, name, is_gm, is_staff, is_superuser, left) in enumerate(
            rows
        ):
            user = existing.get(discord_id)
            if user is None:
                user = User.objects.create_user(
                    discord_id,
                    display_name=name,
                    username=username,
                    is_player=True,
                    is_gm=is_gm,
                    is_staff=is_staff,
                    is_superuser=is_superuser,
                    date_joined=self.now - datetime.timedelta(days=400 - 5 * index),
                    not_player_as_of=(
                        self.now - datetime.timedelta(days=left) if left is not None else None
                    ),
                )
                self.created["members"] += 1
            self.members[username] = user

    def create_categories(self) -> None:
        """Discord categories, the channels of the running demo games dealt out among them."""
        club = ClubSettings.load()
        self.category_of: dict[str, Channel] = {}
        for game_type in GameType.values:
            categories = [row for row in CATEGORIES if row[1] == game_type]
            running = [
                spec.name
                for spec in GAMES
                if spec.type == game_type and spec.status in (OPEN, CLOSED)
            ]
            for index, (discord_id, _type, number) in enumerate(categories):
                dealt = running[index :: len(categories)]
                category = self.get_or_add(
                    Channel,
                    "Discord categories",
                    {"discord_id": discord_id},
                    name=club.category_name_template(game_type).replace("{n}", str(number)),
                    type=game_type,
                    size=len(dealt),
                )
                self.category_of |= dict.fromkeys(dealt, category)

    # — Games

    def at(self, day: int, clock: str) -> datetime.datetime:
        hour, minute = map(int, clock.split(":"))
        local = datetime.datetime.combine(
            self.today + datetime.timedelta(days=day), datetime.time(hour, minute)
        )
        # Ends are computed in UTC, so a session crossing a DST change keeps its length.
        return timezone.make_aware(local).astimezone(datetime.UTC)

    def pick_players(self, rng: random.Random, spec: DemoGame, gm: User) -> dict[str, list[User]]:
        forced = {*spec.players, *spec.waitlist, *spec.candidates}
        personas = {p.username for p in DEMO_PERSONAS.values()}
        pool = sorted(
            (
                user
                for username, user in self.members.items()
                if username not in personas | forced
                and user != gm
                and user.not_player_as_of is None
            ),
            key=lambda user: user.discord_id,
        )
        rng.shuffle(pool)

        def take(named: tuple[str, ...], count: int) -> list[User]:
            chosen = [self.members[username] for username in named]
            while len(chosen) < count:
                chosen.append(pool.pop())
            rng.shuffle(chosen)
            return chosen

        return {
            "registered": take(spec.players, spec.registered),
            "waitlisted": take(spec.waitlist, spec.waitlist_size),
            "candidates": take(spec.candidates, spec.candidate_count),
            "spare": pool,
        }

    def create_game(self, number: int, spec: DemoGame) -> None:
        gm = self.members[spec.gm]
        if Game.objects.filter(gm=gm, name=spec.name).exists():
            return  # keyed on (GM, name): an existing game keeps its sessions and players
        rng = random.Random(f"{DEMO_SEED}:{spec.name}")
        step = FREQUENCY_DAYS.get(spec.frequency, 7)
        # Every session at the same local time; the first one is the game's date.
        starts = [self.at(spec.day + step * index, spec.at) for index in range(spec.sessions)]
        three_days_ago = self.now - datetime.timedelta(days=3)
        created_at = min(starts[0] - datetime.timedelta(days=14), three_days_ago)
        created_at -= datetime.timedelta(minutes=rng.randrange(0, 600))
        story = Story(
            rng=rng,
            now=self.now,
            published_at=created_at + datetime.timedelta(minutes=rng.randrange(30, 1440)),
            # Sign-ups happen between the announcement and the first session (or now).
            signup_end=min(starts[0], self.now) - datetime.timedelta(minutes=30),
        )

        game = self.build_game(number, spec, gm, date=starts[0], created_at=created_at)
        if spec.status != DRAFT:
            game.published_at = story.published_at
        game.full_clean(exclude=["slug"])  # the slug is picked by save_with_unique_slug()
        game.save_with_unique_slug()
        self.created["games"] += 1

        story.log(created_at, GameEventAction.CREATE, TEXT_CREATED, actor=gm)
        if spec.edited:
            end = story.now if spec.status == DRAFT else story.published_at
            story.log(story.between(created_at, end), GameEventAction.EDIT, TEXT_EDITED, actor=gm)
        if spec.status != DRAFT:  # a draft has no sessions, players nor Discord resources yet
            silent = spec.closed_reason == ClosedReason.SILENT
            text = TEXT_SILENT if silent else TEXT_PUBLISHED
            story.log(story.published_at, GameEventAction.EDIT, text, actor=gm)
            self.add_sessions(game, starts, story)
            people = self.pick_players(rng, spec, gm)
            self.add_registrations(game, spec, people, story)
            self.add_incidents(spec, gm, people, story)
            if spec.status == ARCHIVED:
                self.new_archived.append(game.pk)
                archived_at = min(game.sessions.last().end + datetime.timedelta(days=1), self.now)
                badges = TEXT_BADGES.format(n=len(people["registered"]))
                story.log(archived_at, GameEventAction.EDIT, TEXT_ARCHIVED, actor=gm)
                story.log(archived_at, GameEventAction.TROPHY, badges, actor=gm)
                story.log(archived_at, GameEventAction.DELETE, TEXT_ARCHIVED_DONE, actor=gm)
        self.save_events(game, story.events)

    def build_game(self, number: int, spec: DemoGame, gm: User, **fields) -> Game:
        game = Game(
            name=spec.name,
            type=spec.type,
            special_event=self.events[spec.event] if spec.event else None,
            gm=gm,
            system=self.systems[spec.system],
            vtt=self.vtts[spec.vtt] if spec.vtt else None,
            description=spec.description,
            complement=spec.complement,
            # Served by the site itself, so the demo looks right without internet access.
            img=f"{settings.SITE_URL}/static/img/placeholder.svg" if spec.img else "",
            length=spec.length,
            session_length=Decimal(spec.session_length),
            frequency=spec.frequency,
            party_size=spec.party_size,
            party_selection=spec.party_selection,
            xp=spec.xp,
            characters=spec.characters,
            restriction=spec.restriction,
            restriction_tags=spec.tags,
            classification=dict(zip(CLASSIFICATION_KEYS, spec.classification, strict=True)),
            ambience=list(spec.ambience),
            status=spec.status,
            closed_reason=spec.closed_reason,
            **fields,
        )
        if spec.status != DRAFT:
            # As if published: a private channel with its pinned briefing and a player role, and
            # an announcement unless the game was opened silently. Archiving deleted the channel
            # (so it no longer fills a category) and the announcement; the ids stay as history.
            game.discord_channel_id = str(130_000_000_000_000_000 + number)
            game.discord_role_id = str(140_000_000_000_000_000 + number)
            game.discord_briefing_id = str(170_000_000_000_000_000 + number)
            game.discord_category = self.category_of.get(spec.name)
            if spec.closed_reason != ClosedReason.SILENT and spec.status != ARCHIVED:
                game.discord_message_id = str(150_000_000_000_000_000 + number)
        return game

    def add_sessions(self, game: Game, starts: list[datetime.datetime], story: Story) -> None:
        for index, start in enumerate(starts):
            end = start + game.session_duration
            _saved(GameSession(game=game, start=start, end=end))
            self.created["sessions"] += 1
            if index:  # the first session comes with the publication and is not audited
                planned_at = min(start - datetime.timedelta(days=6), story.now)
                planned_at = max(planned_at, story.published_at) + datetime.timedelta(minutes=5)
                text = TEXT_SESSION.format(start=_short(start), end=_short(end))
                story.log(planned_at, GameEventAction.CREATE_SESSION, text, actor=game.gm)

    def add_registrations(self, game: Game, spec: DemoGame, people: dict, story: Story) -> None:
        gm = game.gm
        registered, candidates = people["registered"], people["candidates"]
        window = (story.published_at, story.signup_end)
        signups = sorted(story.between(*window) for _ in range(len(registered) + len(candidates)))
        # The GM fills the seats himself on silent and selection games, and a few on others.
        by_gm = (
            len(registered)
            if spec.party_selection or spec.closed_reason == ClosedReason.SILENT
            else spec.added_by_gm
        )
        # The seats go to the first sign-ups, candidacies come after.
        for index, (player, when) in enumerate(zip(registered, signups, strict=False)):
            added_by = gm if index < by_gm else None
            self.register(game, player, RegistrationState.REGISTERED, when, added_by)
            text = TEXT_ADDED if added_by else TEXT_REGISTER
            story.log(
                when, GameEventAction.REGISTER, text, actor=added_by or player, subject=player
            )
        for player, when in zip(candidates, signups[len(registered) :], strict=True):
            self.register(game, player, RegistrationState.CANDIDATE, when, None)
            story.log(when, GameEventAction.REGISTER, TEXT_CANDIDATE, actor=player, subject=player)

        last_signup = max(signups[: len(registered)], default=story.published_at)
        story.last_signup = last_signup
        if spec.closed_reason == ClosedReason.FULL:
            # The last seat closes the game; later comers join the waiting list.
            closed_at = last_signup + datetime.timedelta(seconds=1)
            story.log(closed_at, GameEventAction.EDIT, TEXT_FULL.format(n=spec.party_size))
            waiting_end = story.now - datetime.timedelta(minutes=10)
            waited = sorted(story.between(closed_at, waiting_end) for _ in people["waitlisted"])
            for player, when in zip(people["waitlisted"], waited, strict=True):
                self.register(game, player, RegistrationState.WAITLISTED, when, None)
                story.log(
                    when, GameEventAction.WAITLIST, TEXT_WAITLIST, actor=player, subject=player
                )
        elif spec.closed_reason == ClosedReason.MANUAL:
            closed_at = story.between(last_signup, story.signup_end)
            story.log(closed_at, GameEventAction.EDIT, TEXT_CLOSED, actor=gm)

    def add_incidents(self, spec: DemoGame, gm: User, people: dict, story: Story) -> None:
        if spec.left:
            quitter = people["spare"].pop()
            joined = story.between(story.published_at, story.signup_end)
            left = story.between(joined, story.signup_end)
            story.log(
                joined, GameEventAction.REGISTER, TEXT_REGISTER, actor=quitter, subject=quitter
            )
            story.log(
                left, GameEventAction.UNREGISTER, TEXT_UNREGISTER, actor=quitter, subject=quitter
            )
        if spec.alert:
            reported_at = story.between(story.last_signup, story.now)
            story.log(reported_at, GameEventAction.ALERT, TEXT_ALERT, actor=people["registered"][0])

    def register(self, game: Game, player: User, state: str, when, added_by: User | None) -> None:
        _saved(
            Registration(game=game, player=player, state=state, created_at=when, added_by=added_by)
        )
        self.created["registrations"] += 1

    def save_events(self, game: Game, events: list) -> None:
        for timestamp, action, actor, subject, description in sorted(
            events, key=lambda event: event[0]
        ):
            _saved(
                GameEvent(
                    game=game,
                    action=action,
                    timestamp=timestamp,
                    actor=actor,
                    subject=subject,
                    description=description,
                )
            )
            self.created["game events"] += 1

    # — Badges

    def award_badges(self) -> None:
        """+1 player badge per player and +1 GM badge for the GM of each new archived game.

        Only games created by this run count, so a second run awards nothing.
        """
        awards: Counter[tuple[int, int]] = Counter()
        archived = Game.objects.filter(pk__in=self.new_archived).prefetch_related("registrations")
        for game in archived:
            campaign = game.type == CAMPAIGN
            awards[(game.gm_id, TROPHY_CAMPAIGN_GM if campaign else TROPHY_OS_GM)] += 1
            for registration in game.registrations.all():
                if registration.state == RegistrationState.REGISTERED:
                    badge = TROPHY_CAMPAIGN if campaign else TROPHY_OS
                    awards[(registration.player_id, badge)] += 1
        for (user_id, trophy_id), amount in sorted(awards.items()):
            held = UserTrophy.objects.filter(user_id=user_id, trophy_id=trophy_id).first()
            if held:
                held.increment(amount)
            else:
                _saved(UserTrophy(user_id=user_id, trophy_id=trophy_id, quantity=amount))
            self.created["badges awarded"] += amount

    def report(self) -> None:
        if self.created:
            summary = ", ".join(f"{count} {label}" for label, count in self.created.items())
            self.stdout.write(f"Demo data created: {summary}.")
        else:
            self.stdout.write("Demo data already present: nothing to create.")
        for persona in DEMO_PERSONAS.values():
            self.stdout.write(
                f"  {persona.label}: {persona.display_name} (Discord id {persona.discord_id})"
            )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
