/**
 * Where incident cards go. The Slack adapter implements it over the outbound queue (slack/alert-sink.ts), the
 * console prints, tests use the Slack stand-in. The core only ever hands over IncidentViews and notes: how a
 * card looks is the adapter's business.
 */
import type { CardRef, IncidentView, ThreadNote } from './types';

export interface IncidentSink {
  /** Post a new card. `urgent` (a new firing) goes ahead of queued updates when Slack is backed up. */
  postCard(view: IncidentView, channel: string, opts: { urgent: boolean }): Promise<CardRef>;
  /** Redraw an existing card in place (only the newest pending redraw of one card is sent). */
  updateCard(view: IncidentView): Promise<void>;
  /** A follow-up in the card's thread. */
  threadNote(view: IncidentView, note: ThreadNote): Promise<void>;
  /** A file (the graph PNG) in the card's thread. */
  uploadFile?(view: IncidentView, file: { filename: string; title: string; data: Buffer; altText: string }): Promise<void>;
}
