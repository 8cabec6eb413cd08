"""Telegram: the Bot API adapter, the webhook, update parsing, media fetch and `flask channels telegram`.

python-telegram-bot is asyncio-based and this app is synchronous (WSGI), so every Bot API call goes
through one long-lived event loop per process, running in a daemon thread started on first use (after
gunicorn forks). One initialised `Bot` per (token, base URL) lives on that loop for the life of the
process, so its pooled keep-alive connections always belong to a loop that is still running: a fresh
`asyncio.run()` per call would leave them on a closed loop ("Event loop is closed", PTB issue #4023).
Updates are parsed with `Update.de_json(data, None)`: PTB does (de)serialisation and sending only, the
conversation runs in `channels.intake`, not in PTB handlers.
"""
import asyncio
import concurrent.futures
import hmac
import json
import logging
import mimetypes
import os
import re
import threading

import click
from flask import Blueprint, current_app, jsonify, request
from flask.cli import AppGroup
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError, TimedOut

from channels import intake
from channels.base import ChannelAdapter, DeliveryError, SendResult, register
from channels.inbound import InboundMessage, Media, MediaError, MediaTooLarge
from core.errors import error_response
from core.timeutil import now_utc

logger = logging.getLogger(__name__)

# httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
logging.getLogger('httpx').setLevel(logging.WARNING)

#: Seconds a caller waits for one Bot API call (including a first `getMe`) before giving up.
CALL_TIMEOUT = 20
#: Telegram's limit on one message's text, counted in UTF-16 code units.
MAX_TEXT_LENGTH = 4096
#: What Telegram accepts as a webhook secret token.
_SECRET_RE = re.compile(r'[A-Za-z0-9_-]{1,256}')
WEBHOOK_PATH = '/channels/telegram/webhook'
ALLOWED_UPDATES = ('message', 'callback_query')


# -- the event loop and the bots on it ----------------------------------------------------------------

class _BotRunner:
    """One event loop thread per process and one initialised Bot per (token, base URL) on it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._thread = None
        self._bots = {}        # only touched on the loop
        self._init_locks = {}  # only touched on the loop

    def reset_after_fork(self):
        # The parent's loop thread does not exist in the child; its lock may have been held at fork.
        self.__init__()

    def _running_loop(self):
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name='telegram-bot-loop', daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _bot(self, token, base_url, base_file_url):
        key = (token, base_url, base_file_url)
        bot = self._bots.get(key)
        if bot is not None:
            return bot
        lock = self._init_locks.setdefault(key, asyncio.Lock())
        async with lock:
            bot = self._bots.get(key)
            if bot is None:
                bot = Bot(token, base_url=base_url, base_file_url=base_file_url)
                try:
                    await bot.initialize()  # getMe: a rejected token fails here and nothing is cached
                except BaseException:
                    await bot.shutdown()
                    raise
                self._bots[key] = bot
        return bot

    def run(self, coro_factory, config, timeout):
        token, base_url, base_file_url = _connection(config)
        loop = self._running_loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError('telegram.run() called from the Telegram event loop itself; await instead')

        async def call():
            return await coro_factory(await self._bot(token, base_url, base_file_url))

        future = asyncio.run_coroutine_threadsafe(call(), loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimedOut(f'No answer from the Telegram Bot API within {timeout} s') from None

    def close(self):
        """Shut every bot down (closing its connections); the loop keeps running for later calls."""
        with self._lock:
            loop = self._loop
        if loop is None:
            return

        async def close_all():
            bots, self._bots = list(self._bots.values()), {}
            self._init_locks = {}
            await asyncio.gather(*(bot.shutdown() for bot in bots), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), loop).result(CALL_TIMEOUT)


_runner = _BotRunner()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_runner.reset_after_fork)


def run(coro_factory, *, config, timeout=CALL_TIMEOUT):
    """Run `coro_factory(bot)` on the process's Telegram loop and return its result (blocking).

    `coro_factory` gets the initialised Bot for `config` and returns a coroutine, e.g.
    `run(lambda bot: bot.get_me(), config=current_app.config)`. Raises PTB's TelegramError subclasses;
    `TimedOut` when no answer came within `timeout` seconds.
    """
    return _runner.run(coro_factory, config, timeout)


def close_bots():
    """Close the cached bots' connections (tests, or before the process exits)."""
    _runner.close()


def _connection(config):
    token = config.get('TELEGRAM_BOT_TOKEN')
    if not token:
        raise RuntimeError('TELEGRAM_BOT_TOKEN is not set')
    base_url = config.get('TELEGRAM_API_BASE_URL') or 'https://api.telegram.org/bot'
    return token, base_url, file_base_url(base_url)


def file_base_url(base_url):
    """The file download base for an API base: `https://host/bot` -> `https://host/file/bot`."""
    head, sep, tail = base_url.rpartition('/bot')
    if not sep:
        raise RuntimeError(f'TELEGRAM_API_BASE_URL={base_url!r} should end in /bot, as Telegram\'s does')
    return f'{head}/file/bot{tail}'


def _scrub(text, config):
    """`text` without the bot token (PTB puts it in some error messages, httpx in URLs)."""
    token = config.get('TELEGRAM_BOT_TOKEN')
    text = str(text)
    return text.replace(token, '<token>') if token else text


# -- outbound -------------------------------------------------------------------------------------

@register
class TelegramAdapter(ChannelAdapter):
    """Sends a message to a Telegram chat (the address is the chat id), with buttons for the options."""

    name = 'telegram'

    def send(self, message):
        """Send `message.body` (split when over Telegram's limit), its options as inline buttons."""
        if not self.config.get('TELEGRAM_BOT_TOKEN'):
            # A deployment mistake, not a property of the message: fixing the setting lets it through.
            raise DeliveryError('TELEGRAM_BOT_TOKEN is not set')
        chunks = split_text(message.body)
        markup = _keyboard(message.options)

        async def send_all(bot):
            sent = None
            for i, chunk in enumerate(chunks):
                is_last = i == len(chunks) - 1
                sent = await bot.send_message(chat_id=message.address, text=chunk,
                                              reply_markup=markup if is_last else None)
            return sent

        try:
            sent = run(send_all, config=self.config)
        except TelegramError as exc:
            raise _delivery_error(exc, self.config) from exc
        return SendResult(provider_message_id=str(sent.message_id))


def _keyboard(options):
    if not options:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(label), callback_data=str(data))]
                                 for label, data in options])


def _delivery_error(exc, config):
    """The DeliveryError for a PTB error: permanent when resending the same message cannot work."""
    text, kind = _scrub(exc, config), type(exc).__name__
    if not text.replace(' ', '').lower().startswith(kind.lower()):  # Telegram's own say 'Forbidden: ...'
        text = f'{kind}: {text}'
    # BadRequest and TimedOut are NetworkErrors too, so the permanent cases are checked first.
    if isinstance(exc, Forbidden):        # blocked by the user, user deactivated
        return DeliveryError(text, permanent=True)
    if isinstance(exc, ChatMigrated):     # a group became a supergroup: the address is stale
        return DeliveryError(f'{text} (new chat id {exc.new_chat_id})', permanent=True)
    if isinstance(exc, BadRequest):       # chat not found, invalid button data...
        return DeliveryError(text, permanent=True)
    # RetryAfter (flood control), TimedOut, NetworkError (5xx, connection), InvalidToken (fixable config).
    return DeliveryError(text)


def split_text(text, limit=MAX_TEXT_LENGTH):
    """`text` in pieces Telegram accepts, cut at a line break or space where possible."""
    chunks = []
    while _utf16_length(text) > limit:
        piece = text[:limit]
        while _utf16_length(piece) > limit:
            piece = piece[:len(piece) - (_utf16_length(piece) - limit)]
        cut = max(piece.rfind('\n'), piece.rfind(' '))
        if cut > len(piece) // 2:
            piece = piece[:cut]
        chunks.append(piece.rstrip())
        text = text[len(piece):].lstrip()
    if text or not chunks:
        chunks.append(text)
    return chunks


def _utf16_length(text):
    return len(text.encode('utf-16-le')) // 2


# -- inbound: updates -----------------------------------------------------------------------------

def parse_update(raw_json):
    """The InboundMessage in a Telegram update (JSON text), or None for kinds we ignore.

    Pure: no database, no network. Raises ValueError on malformed JSON or a missing update_id.
    Handled: messages in private chats (text, photo, document, location, shared contact) and
    inline-button presses; ignored: edits, channel posts, group chats and everything else.
    """
    try:
        data = json.loads(raw_json)
    except (TypeError, ValueError) as exc:
        raise ValueError(f'A Telegram update must be JSON: {exc}') from None
    if not isinstance(data, dict) or not _is_int(data.get('update_id')):
        raise ValueError('A Telegram update must be a JSON object with an integer update_id')
    try:
        update = Update.de_json(data, None)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f'Telegram update {data["update_id"]} is malformed: {exc!r}') from None
    external_id = str(update.update_id)
    if update.message is not None:
        return _from_message(external_id, update.message)
    if update.callback_query is not None:
        return _from_callback_query(external_id, update.callback_query)
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _from_message(external_id, message):
    user = message.from_user
    if message.chat.type != 'private' or user is None:
        # Complaints are personal: the bot answers no one in groups, where replies would be public.
        return None
    media = ()
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        media = (Media(file_id=largest.file_id, size=largest.file_size, content_type='image/jpeg'),)
    elif message.document is not None:
        document = message.document
        media = (Media(file_id=document.file_id, size=document.file_size, content_type=document.mime_type),)
    phone, is_shared_contact = None, False
    if message.contact is not None:
        phone = message.contact.phone_number
        is_shared_contact = message.contact.user_id is not None and message.contact.user_id == user.id
    location = None
    if message.location is not None:
        location = (message.location.latitude, message.location.longitude)
    return InboundMessage(
        channel='telegram', external_id=external_id, text=_command_text(message.text or message.caption or ''),
        phone=phone, is_shared_contact=is_shared_contact, name=_full_name(user),
        language=_language(user.language_code), telegram_user_id=user.id, telegram_chat_id=message.chat.id,
        location=location, media=media)


def _from_callback_query(external_id, query):
    user = query.from_user
    chat = query.message.chat if query.message is not None else None
    if query.data is None or (chat is not None and chat.type != 'private'):
        return None
    return InboundMessage(
        channel='telegram', external_id=external_id, callback_data=query.data, name=_full_name(user),
        language=_language(user.language_code), telegram_user_id=user.id,
        # In a private chat the chat id is the user id; the message is missing when it is too old.
        telegram_chat_id=chat.id if chat is not None else user.id)


def _command_text(text):
    # Command menus may send '/status@tanggap_bot K7QM-4XH2'; the bot's name adds nothing.
    return re.sub(r'^(/\w+)@\w+', r'\1', text)


def _full_name(user):
    return ' '.join(part for part in (user.first_name, user.last_name) if part) or None


def _language(code):
    code = (code or '').lower()
    if code.startswith('en'):
        return 'en'
    if code.startswith('id'):
        return 'id'
    return None


# -- inbound: media -------------------------------------------------------------------------------

def fetch_media(media, *, max_bytes, config):
    """(bytes, content type) of a Telegram file; MediaTooLarge when over `max_bytes`, MediaError otherwise.

    Sizes Telegram announces (in the update, then in getFile) are checked before downloading.
    """
    if not media.file_id:
        raise MediaError('the attachment has no Telegram file_id')
    if media.size is not None and media.size > max_bytes:
        raise MediaTooLarge(f'the file has {media.size} bytes, more than {max_bytes}')

    async def download(bot):
        file = await bot.get_file(media.file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise MediaTooLarge(f'the file has {file.file_size} bytes, more than {max_bytes}')
        # Telegram serves bot downloads of at most 20 MB, so reading it whole is bounded.
        return file.file_path, bytes(await file.download_as_bytearray())

    try:
        file_path, data = run(download, config=config)
    except BadRequest as exc:
        if 'too big' in str(exc).lower():  # getFile refuses files over the Bot API's download limit
            raise MediaTooLarge(f'the file is larger than Telegram lets bots download ({exc})') from exc
        raise MediaError(f'Telegram refused the file: {_scrub(exc, config)}') from exc
    except TelegramError as exc:
        raise MediaError(f'the file could not be fetched from Telegram: {_scrub(exc, config)}') from exc
    if len(data) > max_bytes:
        raise MediaTooLarge(f'the file has {len(data)} bytes, more than {max_bytes}')
    content_type = mimetypes.guess_type(file_path or '')[0] or media.content_type
    return data, content_type


# -- the webhook ----------------------------------------------------------------------------------

telegram_bp = Blueprint('telegram', __name__)


@telegram_bp.post(WEBHOOK_PATH)
def webhook():
    """Store and handle one update from Telegram; answers a button press in the response itself."""
    config = current_app.config
    secret = config.get('TELEGRAM_WEBHOOK_SECRET')
    if not (config.get('TELEGRAM_BOT_TOKEN') and secret):
        return error_response(404, 'not_found', 'Telegram is not configured on this server.')
    given = request.headers.get('X-Telegram-Bot-Api-Secret-Token', '')
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return error_response(403, 'forbidden', 'Missing or wrong X-Telegram-Bot-Api-Secret-Token.')
    raw_body = request.get_data(as_text=True)
    try:
        update = json.loads(raw_body)
    except ValueError:
        update = None
    if not isinstance(update, dict) or not _is_int(update.get('update_id')):
        return error_response(400, 'bad_request', 'Expected a Telegram update: a JSON object with an '
                                                  'integer update_id.')
    intake.receive('telegram', str(update['update_id']), raw_body, now=now_utc())
    return jsonify(_webhook_answer(update))


def _webhook_answer(update):
    # Telegram runs a method returned in the webhook response: the button stops spinning without an
    # extra request. Answered on redeliveries too; a second answer is harmless.
    query = update.get('callback_query')
    if isinstance(query, dict) and query.get('id'):
        return {'method': 'answerCallbackQuery', 'callback_query_id': str(query['id'])}
    return {}


# -- the command line -----------------------------------------------------------------------------

telegram_cli = AppGroup('telegram', help='The Telegram bot: register the webhook with Telegram.')


@telegram_cli.command('set-webhook')
@click.option('--url', help=f'Where Telegram sends updates (default: PUBLIC_BASE_URL + {WEBHOOK_PATH}).')
def set_webhook_command(url):
    """Tell Telegram where to send updates, with the secret token it must send back."""
    config = current_app.config
    secret = config.get('TELEGRAM_WEBHOOK_SECRET')
    if not config.get('TELEGRAM_BOT_TOKEN') or not secret:
        raise click.ClickException('Telegram is not configured: set TELEGRAM_BOT_TOKEN and '
                                   'TELEGRAM_WEBHOOK_SECRET.')
    if not _SECRET_RE.fullmatch(secret):
        raise click.ClickException('TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - '
                                   '(Telegram refuses others).')
    url = url or config['PUBLIC_BASE_URL'].rstrip('/') + WEBHOOK_PATH
    if not url.startswith('https://'):
        click.echo(f'Warning: Telegram only delivers to https:// URLs, not {url}', err=True)
    try:
        result = run(lambda bot: bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)),
                     config=config)
    except TelegramError as exc:
        raise click.ClickException(f'Telegram refused the webhook: {_scrub(exc, config)}') from exc
    click.echo(f'Webhook set to {url}: {result}')


intake.register_parser('telegram', parse_update)
intake.register_media_fetcher('telegram', fetch_media)
