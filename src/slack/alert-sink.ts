/**
 * Incident cards in Slack, through the outbound queue: a new card is `chat.postMessage` (urgent when it fires:
 * ahead of queued redraws), a redraw is `chat.update` (only the newest pending redraw of one card is sent),
 * follow-ups are thread replies, and the graph is uploaded with Slack's current flow —
 * `files.getUploadURLExternal`, the bytes to the returned URL, `files.completeUploadExternal` into the thread.
 */
import type { IncidentSink } from '../alerts/sink';
import type { CardRef, IncidentView, ThreadNote } from '../alerts/types';
import { ActionSeal, sealActions } from '../chat/actions/seal';
import { incidentCard, threadNoteModel } from '../chat/alert-card';
import type { OutboundQueue } from './outbound-queue';
import { renderMessage } from './render';

export class SlackIncidentSink implements IncidentSink {
  constructor(
    private readonly queue: OutboundQueue,
    /** Button values are sealed with the app's key: a forged or tampered press runs nothing. */
    private readonly seal: ActionSeal,
    private readonly opts: { uploadTimeoutMs?: number } = {},
  ) {}

  private rendered(view: IncidentView): { text: string; blocks: unknown[] } {
    const card = incidentCard(view);
    const r = renderMessage(sealActions(card.model, this.seal), { ...(card.note ? { note: card.note } : {}), ref: `inc-${view.incident.key}` });
    return { text: r.text, blocks: r.blocks };
  }

  async postCard(view: IncidentView, channel: string, opts: { urgent: boolean }): Promise<CardRef> {
    const r = this.rendered(view);
    const res = await this.queue.enqueue({
      lane: channel,
      ...(opts.urgent ? { priority: 'urgent' as const } : {}),
      call: { type: 'api', method: 'chat.postMessage', args: { channel, text: r.text, blocks: r.blocks, unfurl_links: false, unfurl_media: false } },
    });
    return { channel: String(res.channel ?? channel), ts: String(res.ts) };
  }

  async updateCard(view: IncidentView): Promise<void> {
    const card = view.incident.card;
    if (!card) return;
    const r = this.rendered(view);
    await this.queue.enqueue({
      lane: card.channel,
      mergeKey: `chat.update:${card.channel}:${card.ts}`,
      call: { type: 'api', method: 'chat.update', args: { channel: card.channel, ts: card.ts, text: r.text, blocks: r.blocks } },
    });
  }

  async threadNote(view: IncidentView, note: ThreadNote): Promise<void> {
    const card = view.incident.card;
    if (!card) return;
    const m = threadNoteModel(note);
    const r = renderMessage(m.model, m.note ? { note: m.note } : {});
    await this.queue.enqueue({
      lane: card.channel,
      ...(note.kind === 'repeat' || note.kind === 'fired' ? { priority: 'urgent' as const } : {}),
      call: { type: 'api', method: 'chat.postMessage', args: { channel: card.channel, thread_ts: card.ts, text: r.text, blocks: r.blocks, unfurl_links: false } },
    });
  }

  async uploadFile(view: IncidentView, file: { filename: string; title: string; data: Buffer; altText: string }): Promise<void> {
    const card = view.incident.card;
    if (!card) return;
    const got = await this.queue.enqueue({
      lane: `files:${card.channel}`,
      call: { type: 'api', method: 'files.getUploadURLExternal', args: { filename: file.filename, length: file.data.length, alt_txt: file.altText.slice(0, 1000) } },
    });
    const uploadUrl = String(got.upload_url ?? '');
    const fileId = String(got.file_id ?? '');
    if (!uploadUrl || !fileId) throw new Error('files.getUploadURLExternal returned no upload_url');
    const res = await fetch(uploadUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(file.data),
      signal: AbortSignal.timeout(this.opts.uploadTimeoutMs ?? 30_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`upload of ${file.filename} answered HTTP ${res.status}`);
    await this.queue.enqueue({
      lane: card.channel,
      call: {
        type: 'api',
        method: 'files.completeUploadExternal',
        args: { files: JSON.stringify([{ id: fileId, title: file.title }]), channel_id: card.channel, thread_ts: card.ts },
      },
    });
  }
}
