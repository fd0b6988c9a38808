"""Words that say what a page is, in the languages trackers cite: English, Spanish,
French, German, Portuguese, Italian, Turkish, Russian, Ukrainian, Arabic, Hebrew, Persian
and Burmese. Each list holds short stems, searched in lowercased text; they only ever
decide between kinds of page once the page is known not to hold the cited article (see
crawler/pages.py), so an article that merely uses the words is never judged by them.
"""

from __future__ import annotations

import re
import unicodedata

# "This article is no longer available", "this content has been removed".
REMOVED = (
    # en
    "no longer available", "has been removed", "have been removed", "was removed", "been taken down", "been withdrawn",
    "been deleted", "been unpublished", "content is unavailable", "no longer exists", "is not available anymore",
    # es
    "ya no está disponible", "ha sido eliminad", "ha sido retirad", "fue eliminad", "fue retirad", "contenido no disponible",
    # fr
    "n'est plus disponible", "n’est plus disponible", "a été supprimé", "a été retiré", "a été dépublié", "contenu indisponible",
    # de
    "nicht mehr verfügbar", "nicht mehr abrufbar", "wurde entfernt", "wurde gelöscht", "wurde depubliziert",
    "nicht mehr online",
    # pt, it, tr
    "não está mais disponível", "foi removid", "non è più disponibile", "è stato rimosso", "artık mevcut değil",
    "kaldırıldı", "yayından kaldırıl",
    # ru, uk
    "больше недоступ", "был удал", "была удал", "было удал", "удалена", "удален", "снят с публикации", "снята с публикации",
    "більше не доступ", "більше недоступ", "було видалено", "видалено", "знято з публікації",
    # ar, fa
    "لم يعد متاح", "لم يعد متوفر", "تمت إزالة", "تم حذف", "تم سحب", "غير متاح", "دیگر در دسترس نیست", "حذف شده",
    # he
    "אינה זמינה", "אינו זמין", "אינם זמינים", "הוסרה", "הוסר", "נמחקה", "נמחק",
    # my
    "မရရှိနိုင်တော့", "ဖယ်ရှားလိုက်", "ဖျက်လိုက်",
)

# Cookie and consent walls.
CONSENT = (
    "cookie", "consent", "privacy settings", "your privacy", "we value your privacy", "accept all", "reject all",
    "aceptar todo", "aceptar cookies", "consentimiento", "tu privacidad", "tout accepter", "consentement",
    "vie privée", "alle akzeptieren", "zustimmen", "einwilligung", "datenschutz", "aceitar", "consentimento",
    "accetta tutto", "consenso", "çerez", "kabul et", "принять все", "согласие", "файлы cookie", "конфиденциальн",
    "прийняти все", "згоду", "файли cookie", "конфіденційн", "ملفات تعريف الارتباط", "الموافقة", "قبول الكل", "خصوصيتك",
    "کوکی", "עוגיות", "הסכמה", "פרטיות", "אשר הכל", "ကွတ်ကီး", "သဘောတူ",
)

# Paywalls: "subscribe to continue reading".
PAYWALL = (
    "subscribe", "subscription", "subscriber", "to continue reading", "already a subscriber", "unlock this article",
    "suscríbete", "suscribirse", "suscripción", "suscriptor", "seguir leyendo", "abonnez-vous", "abonnement", "abonné",
    "lire la suite", "abonnieren", "abonnement", "abonnent", "weiterlesen", "jetzt lesen mit", "assine", "assinante",
    "abbonati", "abbonamento", "abone ol", "aboneli", "подпис", "оформите", "передплат", "підпис", "اشترك", "اشتراك",
    "للمشتركين", "اشتراک", "מנוי", "הירשמו", "למנויים", "စာရင်းသွင်း", "ပုံမှန်ဖတ်ရှုသူ",
)

# Sign-in walls.
LOGIN = (
    "sign in", "log in", "login", "password", "anmelden", "einloggen", "passwort", "se connecter", "connexion",
    "mot de passe", "iniciar sesión", "contraseña", "entrar", "senha", "accedi", "giriş yap", "şifre", "войти",
    "вход", "пароль", "увійти", "вхід", "تسجيل الدخول", "كلمة المرور", "ورود", "رمز عبور", "התחבר", "כניסה", "סיסמה",
    "ဝင်ရောက်", "စကားဝှက်",
)

# Bot checks and CAPTCHAs answered with 200.
BOT_CHECK = (
    "captcha", "are you a robot", "not a robot", "verify you are human", "verify that you are human", "human verification",
    "unusual traffic", "bist du ein mensch", "kein roboter", "vous n'êtes pas un robot", "no soy un robot",
    "не робот", "подтвердите, что вы", "підтвердіть, що ви", "لست روبوت", "אינך רובוט", "ရိုဘော့",
)

# Labels of advertisement slots and sponsor lines inside articles.
AD_LABELS = (
    "advertisement", "advertising", "sponsored", "sponsored content", "paid content", "partner content",
    "publicidad", "anuncio", "patrocinado", "publicité", "sponsorisé", "annonce", "anzeige", "werbung", "gesponsert",
    "publicidade", "patrocinado", "pubblicità", "sponsorizzato", "reklam", "sponsorlu", "реклама", "спонсорский материал",
    "партнерский материал", "партнерський матеріал", "إعلان", "محتوى ممول", "تبلیغات", "פרסומת", "תוכן ממומן",
    "ကြော်ငြာ",
)

# The opening of a sponsor line: "Sponsored by Acme".
SPONSOR = (
    "sponsored by", "presented by", "in partnership with", "paid for by", "patrocinado por", "presentado por",
    "sponsorisé par", "présenté par", "en partenariat avec", "präsentiert von", "gesponsert von",
    "in zusammenarbeit mit", "apresentado por", "sponsorizzato da", "sponsorluğunda", "при поддержке", "спонсор",
    "за підтримки", "برعاية", "بالشراكة مع", "با حمایت", "בחסות", "ပံ့ပိုးသူ",
)

# "Story continues below", "the article continues after the advertisement".
CONTINUES = (
    "continues below", "continues after", "story continues", "article continues", "la noticia continúa", "continúa después",
    "continúa debajo", "la suite après", "suite de l'article", "weiter nach der anzeige", "artikel geht weiter",
    "lesen sie weiter", "continua dopo", "continua depois", "haberin devamı", "продолжение ниже", "продолжение после",
    "читайте далее", "продовження нижче", "читайте далі", "تابع القراءة", "يتبع", "ادامه مطلب", "הכתבה נמשכת",
    "ဆက်လက်ဖတ်ရှု",
)

_CASEFOLD_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Text as searched: lowercased, compatibility forms and white space folded."""
    return _CASEFOLD_SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def mentions(text: str, words: tuple[str, ...]) -> int:
    """How many of `words` appear in `text` (folded)."""
    folded = fold(text)
    return sum(1 for word in words if word in folded)


_LABELS = frozenset(AD_LABELS)


def is_label(line: str) -> bool:
    """The whole line is an advertisement or sponsor label (punctuation around it, any case)."""
    return len(line) <= 40 and fold(line).strip(" .:-–—|•·*()[]") in _LABELS


def is_sponsor_line(line: str) -> bool:
    """A short line naming who paid: "Sponsored by Acme", "Präsentiert von ..."."""
    folded = fold(line)
    return len(folded.split()) <= 8 and folded.startswith(SPONSOR)


def says_continues(line: str) -> bool:
    """A short line saying the story continues below (past an advertisement)."""
    return len(line) <= 100 and mentions(line, CONTINUES) > 0
