"""Pages that stand in for a real article, built from the article's own site: consent
walls, paywalls, sign-in walls, bot checks, removal notices, listings and redesigns.

Each kind comes in the languages trackers cite (English, Spanish, French, German,
Russian, Ukrainian, Arabic, Hebrew, Burmese, Persian, Turkish) and in several wordings;
the language of a page's variant is drawn from its number, so every language appears
across the corpus. Class names are random, as on sites that obfuscate them.
"""

from __future__ import annotations

import random
import re

import lxml.html

CONSENT = {
    "en": ("We value your privacy", "We and our partners use cookies to store and access information on your device. "
           "You can accept all or manage your choices.", "Accept all"),
    "es": ("Tu privacidad es importante", "Utilizamos cookies propias y de terceros para analizar el tráfico. "
           "Puedes aceptarlas todas o configurar tus preferencias.", "Aceptar todo"),
    "fr": ("Votre vie privée nous importe", "Nous utilisons des cookies pour mesurer l'audience et personnaliser les "
           "contenus. Vous pouvez tout accepter ou paramétrer vos choix.", "Tout accepter"),
    "de": ("Datenschutz-Einstellungen", "Wir verwenden Cookies und ähnliche Technologien. Mit einem Klick auf "
           "„Alle akzeptieren“ willigen Sie ein.", "Alle akzeptieren"),
    "ru": ("Мы используем файлы cookie", "Продолжая пользоваться сайтом, вы даёте согласие на обработку файлов "
           "cookie и данных о посещениях.", "Принять все"),
    "uk": ("Ми використовуємо файли cookie", "Натискаючи «Прийняти все», ви надаєте згоду на використання файлів "
           "cookie.", "Прийняти все"),
    "ar": ("نحن نحترم خصوصيتك", "نستخدم ملفات تعريف الارتباط لتحسين تجربتك. يمكنك قبول الكل أو إدارة الإعدادات.",
           "قبول الكل"),
    "he": ("הפרטיות שלך חשובה לנו", "אנו משתמשים בעוגיות כדי לשפר את החוויה שלך באתר. באפשרותך לאשר הכל.", "אשר הכל"),
    "my": ("ကွတ်ကီးများ အသုံးပြုခြင်း", "ဤဝက်ဘ်ဆိုက်သည် ကွတ်ကီးများကို အသုံးပြုပါသည်။ သဘောတူပါသလား။", "သဘောတူသည်"),
}

PAYWALL = {
    "en": ("Subscribe to continue reading", "You have reached your limit of free articles. Already a subscriber? Sign in."),
    "es": ("Suscríbete para seguir leyendo", "Has alcanzado el límite de artículos gratuitos de este mes."),
    "fr": ("Abonnez-vous pour lire la suite", "Cet article est réservé à nos abonnés."),
    "de": ("Jetzt weiterlesen mit Abo", "Dieser Artikel ist nur für Abonnenten verfügbar."),
    "ru": ("Оформите подписку, чтобы читать дальше", "Этот материал доступен только подписчикам."),
    "uk": ("Оформіть передплату, щоб читати далі", "Цей матеріал доступний лише передплатникам."),
    "ar": ("اشترك لمتابعة القراءة", "هذا المقال متاح للمشتركين فقط."),
    "he": ("הצטרפו למנוי כדי להמשיך לקרוא", "הכתבה זמינה למנויים בלבד."),
    "my": ("ဆက်လက်ဖတ်ရှုရန် စာရင်းသွင်းပါ", "ဤဆောင်းပါးကို စာရင်းသွင်းသူများသာ ဖတ်ရှုနိုင်ပါသည်။"),
}

LOGIN = {
    "en": "Sign in to keep reading", "es": "Inicia sesión para seguir leyendo", "fr": "Connexion à votre compte",
    "de": "Bitte anmelden, um weiterzulesen", "ru": "Войти в личный кабинет", "uk": "Увійти до облікового запису",
    "ar": "تسجيل الدخول لمتابعة القراءة", "he": "התחברו כדי להמשיך לקרוא", "my": "ဆက်ဖတ်ရန် ဝင်ရောက်ပါ",
}

BOT_CHECK = {
    "en": "Please confirm you are not a robot.", "es": "Confirma que no eres un robot: no soy un robot.",
    "fr": "Confirmez que vous n'êtes pas un robot.", "de": "Bitte bestätigen Sie: kein Roboter.",
    "ru": "Подтвердите, что вы не робот.", "uk": "Підтвердіть, що ви не робот.", "ar": "يرجى التأكيد أنك لست روبوتًا.",
    "he": "אנא אשרו שאינך רובוט.", "my": "သင်သည် ရိုဘော့ မဟုတ်ကြောင်း အတည်ပြုပါ။",
}

REMOVED = {
    "en": ("This article is no longer available.", "This content has been removed at the request of the publisher.",
           "Sorry, this story has been taken down."),
    "es": ("Este artículo ya no está disponible.", "Este contenido ha sido retirado."),
    "fr": ("Cet article n'est plus disponible.", "Ce contenu a été supprimé à la demande de l'éditeur."),
    "de": ("Dieser Artikel ist nicht mehr verfügbar.", "Der Beitrag wurde entfernt."),
    "ru": ("Эта статья больше недоступна.", "Материал был удалён по требованию правообладателя."),
    "uk": ("Ця стаття більше не доступна.", "Матеріал було видалено."),
    "ar": ("هذا المقال لم يعد متاحًا.", "تمت إزالة هذا المحتوى."),
    "he": ("הכתבה אינה זמינה עוד.", "התוכן הוסר מהאתר."),
    "my": ("ဤဆောင်းပါးကို မရရှိနိုင်တော့ပါ။",),
    "fa": ("این مطلب دیگر در دسترس نیست.",),
    "tr": ("Bu haber yayından kaldırıldı.",),
}

# A page, or a whole site, closed to the region we check from.
REGION_BLOCK = {
    "en": ("This content is not available in your region.", "Sorry, our website is not available in your country.",
           "Access denied: this video cannot be played from your location due to licensing restrictions."),
    "es": ("Este contenido no está disponible en tu país.", "Lo sentimos, este sitio no está disponible en su región."),
    "fr": ("Ce contenu n'est pas disponible dans votre pays.", "Désolé, ce site n'est pas accessible depuis votre région."),
    "de": ("Dieser Inhalt ist in Ihrem Land nicht verfügbar.", "Dieses Angebot ist in deiner Region leider nicht abrufbar."),
    "pt": ("Este conteúdo não está disponível no seu país.",),
    "it": ("Questo contenuto non è disponibile nel tuo paese.",),
    "ru": ("Этот материал недоступен в вашей стране.", "Сайт недоступен в вашем регионе."),
    "ar": ("هذا المحتوى غير متاح في بلدك.",),
    "tr": ("Bu içerik ülkenizde kullanılamıyor.",),
    "zh": ("此内容在您所在的地区不可用。",),
}

# A platform's own shell saying a post, video or account is gone.
PLATFORM_GONE = {
    "en": ("Sorry, this page isn't available. The link you followed may be broken, or the page may have been removed.",
           "Video unavailable. This video is private.", "This account doesn't exist. Try searching for another.",
           "Hmm... this post was deleted by its author.", "Account suspended: this account has been suspended."),
    "es": ("Esta publicación no está disponible.", "Esta cuenta no existe."),
    "fr": ("Cette vidéo n'est pas disponible.", "Ce compte n'existe pas."),
    "de": ("Dieser Beitrag ist nicht verfügbar.", "Dieses Konto existiert nicht."),
    "pt": ("Esta publicação não está disponível.",),
    "ru": ("Эта запись недоступна.", "Аккаунт заблокирован."),
    "uk": ("Цю публікацію видалено.", "Цей обліковий запис не існує."),
    "ar": ("هذا المنشور غير متاح.", "هذا الحساب غير موجود."),
    "tr": ("Bu gönderi kullanılamıyor.",),
}

# A platform's sign-in wall: no password field until the scripts run.
LOGIN_WALL = {
    "en": ("Log in to see photos and videos from friends.", "Sign in to continue to this post."),
    "es": ("Inicia sesión para ver esta publicación.",), "fr": ("Connectez-vous pour voir ce contenu.",),
    "de": ("Melde dich an, um diesen Beitrag zu sehen.",), "ru": ("Войдите, чтобы увидеть эту запись.",),
    "pt": ("Faça login para ver esta publicação.",), "ar": ("سجّل الدخول لمشاهدة هذا المنشور.",),
}

LISTING_PATHS = ("/search?q=landmines", "/tag/human-rights/", "/category/world/", "/topics/conflict", "/section/news/")

LANGUAGES = list(CONSENT)


def language(number: int, table: dict) -> str:
    return list(table)[number % len(table)]


def _token(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))


def site_page(template: str, main: str, title: str | None = None, head: str = "") -> str:
    """The site's own head (scripts, styles, metadata), a header and footer, and `main`."""
    tree = lxml.html.document_fromstring(template)
    body = tree.find("body")
    if body is None:
        body = lxml.html.Element("body")
        tree.append(body)
    body.clear()
    for fragment in lxml.html.fragments_fromstring(
        "<header><a href='/'>Home</a> | <a href='/news'>News</a> | <a href='/world'>World</a></header>"
        f"<main>{main}</main><footer>All rights reserved. <a href='/privacy'>Privacy</a></footer>"
    ):
        body.append(fragment)
    page_head = tree.find("head")
    if title is not None and page_head is not None:
        for old_title in page_head.findall("title"):
            page_head.remove(old_title)
        page_head.append(lxml.html.fragment_fromstring(f"<title>{title}</title>"))
    if head and page_head is not None:
        page_head.append(lxml.html.fragment_fromstring(head))
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


def consent_wall(template: str, number: int) -> str:
    heading, text, button = CONSENT[language(number, CONSENT)]
    rng = random.Random(number)
    manager = "<script src='https://cdn.cookielaw.org/scripttemplates/otSDKStub.js'></script>" if number % 2 else ""
    main = (f"<div class='{_token(rng)}' role='dialog'><h2>{heading}</h2><p>{text}</p>"
            f"<button class='{_token(rng)}'>{button}</button></div>")
    return site_page(template, main, title=heading, head=manager)


def article_paragraphs(tree: lxml.html.HtmlElement, article: str) -> list[lxml.html.HtmlElement]:
    """The page's paragraphs that are paragraphs of the article (its ground truth)."""
    flat = " ".join(article.split())
    return [p for p in tree.iter("p") if len(p.text_content().split()) >= 8 and " ".join(p.text_content().split()) in flat]


def cuttable(html: str, article: str, keep: int = 2) -> bool:
    """Enough article paragraphs for a paywall to show a few and hide most of the article
    (on some pages the article's text is not in paragraphs a paywall could cut)."""
    if len(article_paragraphs(lxml.html.document_fromstring(html), article)) < keep + 3:
        return False
    hidden = lxml.html.document_fromstring(paywall(html, article, 0, keep)).text_content()
    left = set(" ".join(hidden.split()).lower().split())
    wanted = article.lower().split()
    return sum(word in left for word in wanted) < 0.6 * len(wanted)


def paywall(html: str, article: str, number: int, keep: int = 2) -> str:
    """The article cut after `keep` of its paragraphs, then a subscription box, and (on
    two sites in three) the structured data that says it is not free to read."""
    heading, text = PAYWALL[language(number, PAYWALL)]
    tree = lxml.html.document_fromstring(html)
    paragraphs = article_paragraphs(tree, article)
    for paragraph in paragraphs[keep:]:
        paragraph.drop_tree()
    box = lxml.html.fragment_fromstring(f"<div class='{_token(random.Random(number))}'><h3>{heading}</h3><p>{text}</p>"
                                        "<a href='/subscribe'>→</a></div>")
    if paragraphs[keep - 1:keep]:
        paragraphs[keep - 1].addnext(box)
    page = lxml.html.tostring(tree, encoding="unicode")
    if number % 3 == 0:  # on every third site, only the box says it
        return page
    marker = '<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}</script>'
    return page.replace("</head>", marker + "</head>", 1)


def login_page(template: str, number: int) -> str:
    heading = LOGIN[language(number, LOGIN)]
    main = (f"<h1>{heading}</h1><form method='post'><input type='email' name='user'>"
            "<input type='password' name='password'><button>→</button></form>")
    return site_page(template, main, title=heading)


def bot_check(template: str, number: int) -> str:
    text = BOT_CHECK[language(number, BOT_CHECK)]
    widget = ("<div class='cf-turnstile' data-sitekey='0x4AAAA'></div>" if number % 2
              else "<div class='g-recaptcha' data-sitekey='6Lc_aX'></div>")
    return site_page(template, f"<p>{text}</p>{widget}", title="…")


def removal_notice(template: str, number: int) -> str:
    notices = REMOVED[language(number, REMOVED)]
    notice = notices[(number // len(REMOVED)) % len(notices)]
    return site_page(template, f"<article><h1>{notice}</h1><p><a href='/'>↩</a></p></article>", title=notice)


def variant(table: dict[str, tuple[str, ...]], number: int) -> str:
    wordings = table[language(number, table)]
    return wordings[(number // len(table)) % len(wordings)]


def region_block(template: str, number: int) -> str:
    notice = variant(REGION_BLOCK, number)
    rng = random.Random(number)
    return site_page(template, f"<div class='{_token(rng)}'><h2>{notice}</h2></div>", title="…")


def platform_shell(main: str, number: int) -> str:
    """A platform's page: its app shell, a long menu and footer of links, and `main`."""
    rng = random.Random(number)
    links = "".join(f"<a class='{_token(rng)}' href='/{_token(rng)}'>{_token(rng)} {_token(rng)} {_token(rng)}</a> "
                    for _ in range(60))
    return (f"<!DOCTYPE html><html><head><title>Platform</title><script>window.__BOOT__={{}}</script></head><body>"
            f"<div id='app'><nav class='{_token(rng)}'>{links[:len(links) // 2]}</nav><main class='{_token(rng)}'>{main}</main>"
            f"<footer class='{_token(rng)}'>{links[len(links) // 2:]}</footer></div></body></html>")


def platform_gone(number: int) -> str:
    return platform_shell(f"<div><span>{variant(PLATFORM_GONE, number)}</span></div>", number)


def login_wall(number: int) -> str:
    return platform_shell(f"<h2>{variant(LOGIN_WALL, number)}</h2><button>→</button>", number)


CONSENT_HOST_PATHS = ("/consent?continue=1", "/v2/collectConsent?site=1", "/privacy/gdpr", "/cmp/choices")


def listing_page(template: str, number: int, headlines: list[str]) -> str:
    items = "".join(f"<li><a href='/story/{n}'>{headline}</a></li>" for n, headline in enumerate(headlines))
    return site_page(template, f"<h1>…</h1><ul>{items}</ul>")


def redesign(tree: lxml.html.HtmlElement, rng: random.Random) -> None:
    """The same article in a new template, in place: every class and id renamed, the body
    wrapped anew, a new header and footer, and the site's name in the title written
    another way."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("class", "id"):
            if element.get(attribute):
                element.set(attribute, f"{_token(rng)} {_token(rng)}" if attribute == "class" else _token(rng))
    body = tree.find("body")
    if body is not None:
        wrapper = lxml.html.fragment_fromstring(f"<div class='{_token(rng)}'></div>")
        for child in list(body):
            wrapper.append(child)
        body.append(lxml.html.fragment_fromstring(f"<nav class='{_token(rng)}'><a href='/'>Start</a> · <a href='/about'>About us</a></nav>"))
        body.append(wrapper)
        body.append(lxml.html.fragment_fromstring(f"<footer class='{_token(rng)}'>© The new site</footer>"))
    title = tree.find(".//title")
    if title is not None and title.text:
        title.text = re.split(r"\s[|\-–—]\s(?!.*\s[|\-–—]\s)", title.text)[0] + " — The New Site"  # the site's name replaced


def redesigned(html: str, number: int) -> str:
    tree = lxml.html.document_fromstring(html)
    redesign(tree, random.Random(number))
    return lxml.html.tostring(tree, encoding="unicode")


# Boxes that sit inside articles, by language: an ad label, a sponsor line's opening, a
# "continues below" line, a newsletter prompt and its button, a related-coverage title.
BOXES = {
    "en": ("ADVERTISEMENT", "Sponsored by", "Story continues below advertisement", "Get our morning briefing in your inbox",
           "Sign up", "Related coverage"),
    "es": ("Publicidad", "Patrocinado por", "La noticia continúa debajo del anuncio", "Recibe nuestro boletín cada mañana",
           "Suscríbete", "Noticias relacionadas"),
    "fr": ("Publicité", "Sponsorisé par", "La suite après la publicité", "Recevez notre lettre d'information",
           "Je m'inscris", "À lire aussi"),
    "de": ("Anzeige", "Präsentiert von", "Weiter nach der Anzeige", "Unser Newsletter: jeden Morgen im Postfach",
           "Jetzt anmelden", "Mehr zum Thema"),
    "ru": ("Реклама", "При поддержке", "Продолжение ниже", "Подпишитесь на нашу рассылку", "Подписаться", "Читайте также"),
    "uk": ("Реклама", "За підтримки", "Продовження нижче", "Підпишіться на нашу розсилку", "Підписатися", "Читайте також"),
    "ar": ("إعلان", "برعاية", "تابع القراءة أدناه", "اشترك في النشرة الإخبارية", "اشترك", "أخبار ذات صلة"),
    "he": ("פרסומת", "בחסות", "הכתבה נמשכת למטה", "הירשמו לניוזלטר שלנו", "להרשמה", "כתבות נוספות"),
    "my": ("ကြော်ငြာ", "ပံ့ပိုးသူ", "ဆက်လက်ဖတ်ရှုရန်", "ကျွန်ုပ်တို့၏ သတင်းလွှာကို ရယူပါ", "စာရင်းသွင်း", "ဆက်စပ်သတင်းများ"),
}
BRANDS = ("Acme Travel", "Nordlicht Bank", "Vista Phones", "Solaris Energy", "Kora Shoes", "Delta Insurance")
OFFERS = ("50% off this week only", "Open an account in minutes", "The new model is here", "Switch and save today")


def box_language(rng: random.Random) -> tuple[str, ...]:
    return BOXES[rng.choice(list(BOXES))]


def ad_slot(rng: random.Random) -> str:
    label, sponsor = box_language(rng)[:2]
    brand = rng.choice(BRANDS)
    return (f"<div class='{_token(rng)}'><span class='{_token(rng)}'>{label}</span><div class='{_token(rng)}'>"
            f"<a href='https://ads.example/{rng.randint(1, 999)}'>{brand}: {rng.choice(OFFERS)}</a></div></div>"
            f"<p class='{_token(rng)}'>{sponsor} {brand}</p>")


def continues_line(rng: random.Random) -> str:
    return f"<p class='{_token(rng)}'>{box_language(rng)[2]}</p>" + ad_slot(rng)


def newsletter_box(rng: random.Random) -> str:
    words = box_language(rng)
    return (f"<div class='{_token(rng)}'><p>{words[3]}</p><form action='/subscribe'><input type='email' name='email'>"
            f"<button>{words[4]}</button></form></div>")


def related_list(rng: random.Random, headlines: list[str]) -> str:
    items = "".join(f"<li><a href='/r{rng.randint(1, 999)}'>{headline}</a></li>" for headline in rng.sample(headlines, 3))
    return f"<div class='{_token(rng)}'><h3>{box_language(rng)[5]}</h3><ul>{items}</ul></div>"
