/**
 * Block Kit → HTML that looks like Slack's client, for the README's pictures: the blocks the bot really sends
 * (slack/render.ts output), drawn the way Slack draws them — a message with the app's avatar, name and APP
 * badge, or the App Home tab. Covers the block types ws-doctor uses (header, section with text and fields,
 * context, divider, actions with buttons); anything else is drawn as a visible placeholder, never dropped.
 */

type Obj = Record<string, any>;

const EMOJI: Record<string, string> = {
  hourglass_flowing_sand: '⏳',
  warning: '⚠️',
  information_source: 'ℹ️',
  white_check_mark: '✅',
  x: '❌',
  red_circle: '🔴',
  grey_question: '❔',
};

/** Text the renderer has not escaped yet (plain_text): make it HTML-safe. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Slack mrkdwn → HTML. The bot's mrkdwn already has `&`, `<`, `>` escaped as entities (which HTML shows as the
 * characters), so only Slack's own `<…>` tokens are real angle brackets: user mentions and links.
 */
export function mrkdwn(text: string): string {
  const parts = text.split(/(```[\s\S]*?```)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `<pre>${part.slice(3, -3).replace(/^\n/, '').replace(/\n$/, '')}</pre>`;
      return part
        .replace(/<@([A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, name?: string) => `<span class="mention">@${name ?? (id === 'U0ALICE' ? 'alice' : id.toLowerCase())}</span>`)
        .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '<a>$2</a>')
        .replace(/<(https?:\/\/[^>]+)>/g, '<a>$1</a>')
        .replace(/`([^`\n]+)`/g, '<code>$1</code>')
        .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s.,;:)!?])/g, '$1<b>$2</b>')
        .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s.,;:)!?])/g, '$1<i>$2</i>')
        .replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m)
        .replace(/\n/g, '<br>');
    })
    .join('');
}

function textObject(t: Obj | undefined): string {
  if (!t) return '';
  return t.type === 'mrkdwn' ? mrkdwn(String(t.text)) : esc(String(t.text));
}

function button(b: Obj): string {
  const style = b.style === 'primary' ? ' primary' : b.style === 'danger' ? ' danger' : '';
  return `<button class="btn${style}" aria-label="${esc(String(b.accessibility_label ?? ''))}">${textObject(b.text)}</button>`;
}

export function blocksHtml(blocks: Obj[]): string {
  return blocks
    .map((b) => {
      switch (b.type) {
        case 'header':
          return `<div class="header">${textObject(b.text)}</div>`;
        case 'section': {
          const text = b.text ? `<div class="section-text">${textObject(b.text)}</div>` : '';
          const fields = Array.isArray(b.fields) ? `<div class="fields">${b.fields.map((f: Obj) => `<div>${textObject(f)}</div>`).join('')}</div>` : '';
          return `<div class="section">${text}${fields}</div>`;
        }
        case 'context':
          return `<div class="context">${(b.elements as Obj[]).map((e) => `<span>${textObject(e)}</span>`).join('')}</div>`;
        case 'divider':
          return '<hr>';
        case 'actions':
          return `<div class="actions">${(b.elements as Obj[]).map(button).join('')}</div>`;
        default:
          return `<div class="unknown">[${esc(String(b.type))} block]</div>`;
      }
    })
    .join('\n');
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d; font: 15px/1.46668 Lato, 'Noto Color Emoji', 'Helvetica Neue', Arial, sans-serif; -webkit-font-smoothing: antialiased; }
.chrome { display: flex; flex-direction: column; }
.channel-bar { height: 49px; border-bottom: 1px solid #e8e8e8; display: flex; align-items: center; padding: 0 20px; font-weight: 900; font-size: 18px; }
.channel-bar .sub { font-weight: 400; font-size: 13px; color: #616061; margin-left: 10px; }
.tabs { display: flex; gap: 20px; padding: 0 20px; border-bottom: 1px solid #e8e8e8; font-size: 13px; font-weight: 700; color: #616061; }
.tabs span { padding: 10px 0; }
.tabs .on { color: #1d1c1d; border-bottom: 2px solid #1264a3; }
.message { display: flex; padding: 8px 20px 12px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #1f2a44; color: #fff; font-weight: 900; font-size: 14px; display: flex; align-items: center; justify-content: center; flex: none; margin-right: 8px; margin-top: 4px; }
.body { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; gap: 6px; margin-bottom: 2px; }
.name { font-weight: 900; }
.badge { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8; border-radius: 2px; padding: 1px 3px; }
.time { font-size: 12px; color: #616061; }
.only-you { font-size: 13px; color: #616061; margin-bottom: 4px; }
.home { padding: 20px 28px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 4px 0 8px; }
.section { margin: 4px 0; }
.section-text { white-space: normal; word-wrap: break-word; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.context { font-size: 13px; color: #616061; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 8px; }
.context code { font-size: 11px; }
hr { border: 0; border-top: 1px solid #e8e8e8; margin: 12px 0; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0 4px; }
.btn { font: 700 13px Lato, 'Noto Color Emoji', sans-serif; height: 28px; padding: 0 12px; border-radius: 4px; border: 1px solid rgba(29,28,29,.3); background: #fff; color: #1d1c1d; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
code { font: 12px Monaco, Menlo, Consolas, 'DejaVu Sans Mono', monospace; color: #e01e5a; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px; padding: 1px 3px; }
pre { font: 12px/1.5 Monaco, Menlo, Consolas, 'DejaVu Sans Mono', monospace; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px; padding: 8px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
a { color: #1264a3; }
.unknown { color: #e01e5a; }
`;

function page(title: string, inner: string, width: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS} body { width: ${width}px; }</style></head><body>${inner}</body></html>`;
}

/** A message in a channel, as Slack's desktop client shows it. `ephemeral` adds the "Only visible to you" line. */
export function messagePage(opts: { blocks: Obj[]; channel: string; time: string; ephemeral?: boolean; width?: number }): string {
  const inner = `<div class="chrome">
<div class="channel-bar"># ${esc(opts.channel)}<span class="sub">WebSocket stack on-call</span></div>
<div class="message"><div class="avatar">ws</div><div class="body">
<div class="meta"><span class="name">ws-doctor</span><span class="badge">APP</span><span class="time">${esc(opts.time)}</span></div>
${opts.ephemeral ? '<div class="only-you">👁 Only visible to you</div>' : ''}
${blocksHtml(opts.blocks)}
</div></div></div>`;
  return page('ws-doctor message', inner, opts.width ?? 760);
}

/** The app's Home tab. */
export function homePage(opts: { blocks: Obj[]; width?: number }): string {
  const inner = `<div class="chrome">
<div class="channel-bar"><div class="avatar" style="margin:0 8px 0 0;width:26px;height:26px;font-size:11px">ws</div>ws-doctor</div>
<div class="tabs"><span class="on">Home</span><span>About</span></div>
<div class="home">${blocksHtml(opts.blocks)}</div></div>`;
  return page('ws-doctor App Home', inner, opts.width ?? 760);
}
