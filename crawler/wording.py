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
    "n'est plus disponible", "a été supprimé", "a été retiré", "a été dépublié", "contenu indisponible",
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

# Region blocks: "this content is not available in your country".
GEO_BLOCK = (
    # en
    "available in your region", "available in your country", "available in your location", "available in your area",
    "from your location", "from your country", "in your country", "in your region", "in your jurisdiction",
    "geo-restrict", "geographic restriction", "geoblock", "not available in the eu", "region is not supported",
    # es, pt
    "en tu país", "en su país", "en tu región", "en su región", "desde tu ubicación", "desde su ubicación",
    "no seu país", "na sua região", "em sua região", "em seu país",
    # fr, it, de
    "dans votre pays", "dans votre région", "depuis votre pays", "depuis votre région", "nel tuo paese",
    "nella tua regione", "dal tuo paese", "in ihrem land", "in deinem land", "in ihrer region", "in deiner region",
    # tr, ru, uk
    "ülkenizde", "bölgenizde", "ülkenizden", "в вашей стране", "в вашем регионе", "из вашей страны",
    "у вашій країні", "у вашому регіоні", "з вашої країни",
    # ar, fa, he
    "في بلدك", "في منطقتك", "من بلدك", "در کشور شما", "در منطقه شما", "בארצך", "באזור שלך", "במדינה שלך",
    # zh, ja
    "您所在的地区", "你所在的地区", "您所在的国家", "所在地区不可", "お住まいの地域", "お住まいの国",
)

# What a platform's shell names when it says a post is gone: the post itself...
PLATFORM_THINGS = (
    "post", "video", "account", "tweet", "profile", "photo", "reel", "channel", "user",
    "publicación", "vídeo", "cuenta", "perfil", "usuario", "canal", "publication", "vidéo", "compte", "profil",
    "utilisateur", "chaîne", "beitrag", "konto", "nutzer", "kanal", "publicação", "conta", "usuário", "utente",
    "gönderi", "hesap", "kullanıcı", "публикац", "запись", "пост", "видео", "аккаунт", "профил", "пользовател", "канал",
    "публікац", "допис", "відео", "акаунт", "обліковий запис", "користувач", "المنشور", "الفيديو", "الحساب",
    "المستخدم", "پست", "ویدیو", "حساب", "הפוסט", "הסרטון", "החשבון", "帖子", "视频", "帐号", "账号", "投稿", "動画", "アカウント",
)
# ...or only the page, whose absence alone is any site's "not found" page (a soft 404).
PAGE_THINGS = (
    "page", "content", "página", "contenido", "contenu", "seite", "inhalt", "pagina", "contenuto", "conteúdo", "sayfa",
    "içerik", "страниц", "материал", "сторінк", "الصفحة", "المحتوى", "صفحه", "הדף", "התוכן", "页面", "内容", "ページ",
)
# What became of it: gone, private or suspended...
PLATFORM_GONE = (
    "unavailable", "isn't available", "is not available", "not available right now", "was deleted", "been deleted",
    "was removed", "been removed", "is private", "are private", "suspended", "terminated", "may be broken",
    "no está disponible", "eliminad", "privad", "suspendid", "n'est pas disponible", "indisponible", "supprimé",
    "privée", "suspendu", "nicht verfügbar", "gelöscht", "entfernt", "gesperrt", "não está disponível", "indisponível",
    "excluíd", "removid", "suspens", "non è disponibile", "non disponibile", "eliminat", "rimoss", "sospes",
    "kullanılamıyor", "silindi", "askıya alındı", "недоступ", "удален", "удалён", "удалена", "заблокирован",
    "видален", "заблоковано", "غير متاح", "غير متوفر", "تم حذف", "معلق", "در دسترس نیست", "حذف شده",
    "אינו זמין", "אינה זמינה", "נמחק", "不可用", "已删除", "利用できません", "削除されました",
)
# ...or missing, which is gone only when said of the post itself.
PLATFORM_MISSING = (
    "doesn't exist", "does not exist", "not found", "no existe", "n'existe pas", "existiert nicht", "não existe",
    "non esiste", "mevcut değil", "bulunamadı", "не существует", "не найден", "не існує", "не знайдено", "غير موجود",
    "وجود ندارد", "לא קיים", "不存在", "存在しません",
)

# A platform's sign-in wall, where a password field may only come with the scripts.
LOGIN_WALL = (
    "log in to continue", "log in to see", "log in to view", "login to continue", "sign in to continue",
    "sign in to see", "sign in to view", "sign up to see", "you must log in", "you need to log in", "must be logged in",
    "inicia sesión para", "regístrate para ver", "connecte-toi pour", "connectez-vous pour", "identifiez-vous pour",
    "melde dich an, um", "anmelden, um", "melden sie sich an, um", "faça login para", "entre para ver", "accedi per",
    "devi accedere", "войдите, чтобы", "войдите в аккаунт", "увійдіть, щоб", "سجل الدخول لمتابعة", "سجّل الدخول",
    "giriş yapın", "görmek için giriş", "برای ادامه وارد", "התחברו כדי", "登录后", "ログインして",
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
    """Text as searched: lowercased, compatibility forms, typographic apostrophes and white
    space folded (so the lists spell "n'est" once)."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return _CASEFOLD_SPACES.sub(" ", folded).strip()


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


_SENTENCES = re.compile(r"[\n.!?…。！？؟]+")


def says_platform_gone(text: str) -> bool:
    """A sentence names a post, video or account and says it is gone, private, suspended
    or missing ("This video is private", "This account doesn't exist"), or names the page
    and says it is gone ("Sorry, this page isn't available"; a page "not found" is any
    site's soft 404)."""
    def says(sentence: str) -> bool:
        gone = any(state in sentence for state in PLATFORM_GONE)
        if any(thing in sentence for thing in PLATFORM_THINGS):
            return gone or any(state in sentence for state in PLATFORM_MISSING)
        return gone and any(thing in sentence for thing in PAGE_THINGS)

    return any(says(sentence) for sentence in _SENTENCES.split(fold(text)[:20_000]))


def says_continues(line: str) -> bool:
    """A short line saying the story continues below (past an advertisement)."""
    return len(line) <= 100 and mentions(line, CONTINUES) > 0
