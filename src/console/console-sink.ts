/**
 * Incident cards in the console: the same card model Slack gets (chat/alert-card.ts), printed when it is posted
 * and again whenever it changes (firing → acknowledged → silenced → resolved), its buttons numbered for
 * `actions` / `press <n>` like any answer's. Thread notes (repeats, who acked, silence ending) are one line under
 * the card's title. A terminal has no channels or threads: the card reference is a local sequence number.
 */
import type { IncidentSink } from '../alerts/sink';
import type { CardRef, IncidentView, ThreadNote } from '../alerts/types';
import { incidentCard, threadNoteModel } from '../chat/alert-card';
import type { MessageModel } from '../chat/model';
import { literal } from '../chat/text';

export interface ConsoleCardOutput {
  /** A card with buttons: printed and made the answer `actions` / `press` act on. */
  card(model: MessageModel, note?: string): void;
  /** A line without buttons (the last answer stays what it was). */
  line(model: MessageModel): void;
}

export class ConsoleIncidentSink implements IncidentSink {
  private seq = 0;

  constructor(private readonly out: ConsoleCardOutput) {}

  async postCard(view: IncidentView, _channel: string): Promise<CardRef> {
    this.show(view);
    return { channel: 'console', ts: String(++this.seq) };
  }

  async updateCard(view: IncidentView): Promise<void> {
    this.show(view);
  }

  async threadNote(view: IncidentView, note: ThreadNote): Promise<void> {
    const m = threadNoteModel(note).model;
    const text = `↳ ${view.incident.title}: ${m.text}`;
    this.out.line({ text, blocks: [{ type: 'context', text: literal(text) }] });
  }

  private show(view: IncidentView): void {
    const card = incidentCard(view);
    this.out.card(card.model, card.note);
  }
}
