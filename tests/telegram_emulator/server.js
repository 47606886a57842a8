// Bot API emulator for Lotse's end-to-end tests: npm telegram-test-api 4.2.1 behind a compatibility
// middleware that makes it behave like Telegram where python-telegram-bot 22 depends on it.
// Usage: node server.js PORT   (listens on 127.0.0.1 only; prints "listening PORT" when ready)
'use strict';
const http = require('http');
const express = require('express');
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2] || 9000);
const tg = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 3600 });
const webhooks = {}; // token -> { url, secret }
let botMessageId = 1;

const toSeconds = (d) => (typeof d === 'number' && d > 1e11 ? Math.floor(d / 1000) : d);
function formatUpdate(u) {
  const update = TelegramServer.formatUpdate(u);
  if (update.message) update.message.date = toSeconds(update.message.date) || Math.floor(Date.now() / 1000);
  const cq = update.callback_query;
  if (cq) {
    cq.chat_instance = cq.chat_instance || String(cq.message && cq.message.chat ? cq.message.chat.id : 0);
    if (cq.message) cq.message.date = toSeconds(cq.message.date) || Math.floor(Date.now() / 1000);
  }
  return update;
}
const pending = (token, offset) =>
  tg.storage.userMessages.filter((u) => u.botToken === token && u.updateId >= (offset || 0));

const compat = express.Router();
compat.use(express.json());
compat.use(express.urlencoded({ extended: true }));
const params = (req) => Object.assign({}, req.query, req.body || {});
const ok = (res, result) => res.json({ ok: true, result });

compat.all('/bot:token/getMe', (req, res) =>
  ok(res, { id: 4242, is_bot: true, first_name: 'Lotse Test', username: 'lotse_test_bot' }));
compat.all('/bot:token/:method(sendChatAction|setMyCommands|deleteMyCommands|answerCallbackQuery)', (req, res) =>
  ok(res, true));
compat.all('/bot:token/getWebhookInfo', (req, res) => {
  const hook = webhooks[req.params.token];
  ok(res, { url: hook ? hook.url : '', has_custom_certificate: false, pending_update_count: pending(req.params.token).length });
});
compat.all('/bot:token/setWebhook', (req, res) => {
  const p = params(req);
  webhooks[req.params.token] = { url: p.url, secret: p.secret_token };
  ok(res, true);
});
compat.all('/bot:token/deleteWebhook', (req, res) => {
  delete webhooks[req.params.token];
  ok(res, true);
});
// getUpdates with offset (confirms earlier updates) and timeout (long polling)
compat.all('/bot:token/getUpdates', async (req, res) => {
  const p = params(req);
  const token = req.params.token;
  const offset = Number(p.offset || 0);
  if (offset) tg.storage.userMessages = tg.storage.userMessages.filter((u) => u.botToken !== token || u.updateId >= offset);
  const deadline = Date.now() + Math.min(Number(p.timeout || 0), 50) * 1000;
  while (pending(token, offset).length === 0 && Date.now() < deadline && !webhooks[token]) {
    await new Promise((r) => setTimeout(r, 50));
  }
  ok(res, pending(token, offset).slice(0, Number(p.limit || 100)).map(formatUpdate));
});
compat.all('/bot:token/sendMessage', (req, res) => {
  const result = tg.addBotMessage(params(req), req.params.token);
  result.date = toSeconds(result.date);
  result.from = { id: 4242, is_bot: true, first_name: 'Lotse Test' };
  botMessageId = result.message_id;
  ok(res, result);
});
// removing a keyboard (no reply_markup) is ignored by the emulator: do it here
compat.all('/bot:token/editMessageReplyMarkup', (req, res) => {
  const p = params(req);
  const stored = tg.storage.botMessages.find((u) => String(u.messageId) === String(p.message_id)
    && String(u.message.chat_id) === String(p.chat_id));
  if (stored) {
    stored.message = Object.assign({}, stored.message);
    if (p.reply_markup) stored.message.reply_markup = typeof p.reply_markup === 'string' ? JSON.parse(p.reply_markup) : p.reply_markup;
    else delete stored.message.reply_markup;
  }
  ok(res, true);
});
compat.all('/bot:token/:method(sendPhoto|sendDocument|getFile|editMessageText|deleteMessage)', (req, res) =>
  ok(res, true));
// for the tests: every message the bot sent to a chat, with its current keyboard
compat.get('/lotse/botMessages', (req, res) => {
  const msgs = tg.storage.botMessages
    .filter((u) => u.botToken === req.query.token && String(u.message.chat_id) === String(req.query.chatId))
    .map((u) => ({ message_id: u.messageId, text: u.message.text, reply_markup: u.message.reply_markup || null }));
  ok(res, msgs);
});
compat.get('/lotse/pending', (req, res) => ok(res, pending(req.query.token).length));

// webhook deliveries: in order, with the secret header, retried until the bot answers 2xx
async function deliverWebhooks() {
  for (const [token, hook] of Object.entries(webhooks)) {
    const next = pending(token)[0];
    if (!next) continue;
    try {
      const headers = { 'content-type': 'application/json' };
      if (hook.secret) headers['x-telegram-bot-api-secret-token'] = hook.secret;
      const response = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(formatUpdate(next)) });
      if (response.ok) tg.removeUserMessage(next.updateId);
    } catch (err) {
      // the bot is down or restarting: Telegram keeps the update and tries again later
    }
  }
  setTimeout(deliverWebhooks, 50);
}

const front = express();
front.use(compat);
front.use(tg.webServer);
process.on('uncaughtException', (err) => console.error('emulator error (ignored):', err.message));
process.on('unhandledRejection', (err) => console.error('emulator rejection (ignored):', String(err)));
http.createServer(front).listen(port, '127.0.0.1', () => {
  console.log(`listening ${port}`);
  deliverWebhooks();
});
