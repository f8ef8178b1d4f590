import type { RecordedEvent } from '@keyledger/event-store';
import { eventHash, LOG_HEAD_GENESIS, nextLogHead, recordedPreviousHash } from './event-chain';
import { isDigestEvent } from './log-digest';
import type { ProblemKind, VerificationProblem } from './verification-report';
import type { Checkpoint } from './verify-digests';

interface EventRef {
  position: number;
  streamId: string;
  revision: number;
}

interface StreamState extends EventRef {
  hash: string;
  /**
   * This (last) event's link to its predecessor failed. Either the predecessor changed, or this event's own
   * link was edited; the next event of the stream (does its link to this one hold?) or a digest (is this one
   * as signed?) tells which.
   */
  suspect?: { predecessor: EventRef };
}

/** Second pass: every stream's chain in log order, and every checkpoint's claims where they must hold. */
export class EventChainCheck {
  readonly problems: VerificationProblem[] = [];
  eventCount = 0;
  unchained = 0;
  headPosition = 0;
  logHead = LOG_HEAD_GENESIS;
  private total = 0;
  private chainedFrom?: number;
  private readonly streams = new Map<string, StreamState>();
  private readonly blamed = new Set<string>();
  /** Streams with events since the last checkpoint, and where that window starts. */
  private touched = new Set<string>();
  private firstPositionInWindow?: number;
  /** Failed links not yet attributed to one of their two events. */
  private openSuspects = 0;
  private problemsAtWindowStart = 0;
  private readonly gaps = new Map<string, { from: number; to: number; problem: VerificationProblem }>();
  private next = 0;
  undigested = 0;

  /** `lastDigestTo`: where the last verified digest ends; later events are counted as not yet digested. */
  constructor(
    private readonly checkpoints: Checkpoint[],
    private readonly lastDigestTo: number,
  ) {}

  get streamCount(): number {
    return this.streams.size;
  }

  add(event: RecordedEvent): void {
    while (this.next < this.checkpoints.length && this.checkpoints[this.next].toPosition < event.position) this.evaluate(this.checkpoints[this.next++]);
    const hash = eventHash(event);
    this.logHead = nextLogHead(this.logHead, hash);
    this.total++;
    this.eventCount++;
    this.headPosition = event.position;
    // A digest event is signed itself; the events it does not cover yet are the others after the last digest.
    if (event.position > this.lastDigestTo && !isDigestEvent(event)) this.undigested++;
    this.touched.add(event.streamId);
    this.firstPositionInWindow ??= event.position;

    const stream = this.streams.get(event.streamId);
    const here: EventRef = { position: event.position, streamId: event.streamId, revision: event.revision };
    const expectedRevision = stream ? stream.revision + 1 : 0;
    if (event.revision < expectedRevision) {
      // The stream has moved past this revision: report it, and keep following the stream from its later event.
      this.reportLateRevision(stream!, here);
      return;
    }
    if (stream?.suspect && event.revision > expectedRevision) this.resolveSuspect(stream, 'predecessor');
    if (event.revision > expectedRevision) {
      const missing = { position: event.position, streamId: event.streamId, revision: expectedRevision };
      const range = event.revision - 1 > expectedRevision ? `s ${expectedRevision}..${event.revision - 1}` : ` ${expectedRevision}`;
      this.report('event-missing', missing, `Revision${range} of ${event.streamId} should come before this event (revision ${event.revision}) but is not in the log before it: events were removed (or moved).`);
      this.gaps.set(event.streamId, { from: expectedRevision, to: event.revision - 1, problem: this.problems[this.problems.length - 1] });
    }

    let suspect: StreamState['suspect'];
    const link = recordedPreviousHash(event);
    if (link === undefined) {
      if (this.chainedFrom === undefined) this.unchained++;
      else if (event.revision === expectedRevision) this.report('chain-link-missing', here, `The event has no previousEventHash although the log is chained from position ${this.chainedFrom}: its link was removed.`);
    } else {
      this.chainedFrom ??= event.position;
      // After a gap the link cannot hold; the gap is the problem.
      if (event.revision === expectedRevision) suspect = this.checkLink(stream, here, link);
    }
    this.streams.set(event.streamId, { ...here, hash, suspect });
  }

  /** A revision the stream already passed: either one reported missing turning up later (reordered), or a duplicate. */
  private reportLateRevision(stream: StreamState, here: EventRef): void {
    const gap = this.gaps.get(here.streamId);
    if (gap && here.revision >= gap.from && here.revision <= gap.to) {
      gap.problem.kind = 'event-out-of-order';
      gap.problem.position = here.position;
      gap.problem.message = `Revision ${here.revision} of ${here.streamId} is at position ${here.position}, after revision ${stream.revision}: events were reordered.`;
      return;
    }
    this.report('event-out-of-order', here, `Revision ${here.revision} of ${here.streamId} comes after revision ${stream.revision} in log order: events were reordered or duplicated.`);
  }

  finish(): void {
    while (this.next < this.checkpoints.length) this.evaluate(this.checkpoints[this.next++]);
    for (const stream of this.streams.values()) if (stream.suspect) this.resolveSuspect(stream, 'unknown');
  }

  /** Checks the event's link; returns a suspicion to settle later when the link fails. */
  private checkLink(stream: StreamState | undefined, here: EventRef, link: string | null): StreamState['suspect'] {
    if (stream?.suspect) {
      // The previous event's own link failed: if ours to it fails too, it was that event that changed.
      this.resolveSuspect(stream, link !== stream.hash ? 'successor' : 'predecessor');
      return undefined;
    }
    if (link === (stream ? stream.hash : null)) return undefined;
    if (!stream) {
      this.report('event-modified', here, 'The first event of its stream links to a predecessor: its previousEventHash was changed, or the events before it were removed.');
      return undefined;
    }
    if (this.blamed.has(refKey(stream))) return undefined; // already known to have changed
    this.openSuspects++;
    return { predecessor: { position: stream.position, streamId: stream.streamId, revision: stream.revision } };
  }

  /** Blames the predecessor or the successor (the stream's current last event) for a failed link. */
  private resolveSuspect(stream: StreamState, changed: 'predecessor' | 'successor' | 'unknown'): void {
    const { predecessor } = stream.suspect!;
    stream.suspect = undefined;
    this.openSuspects--;
    if (changed === 'successor') {
      this.report('event-modified', stream, `The event was changed: its previousEventHash does not match revision ${predecessor.revision}, and its own hash no longer matches what the event after it recorded.`);
    } else {
      const evidence = changed === 'predecessor' ? '' : ' (or the previousEventHash of that later event was edited)';
      this.report('event-modified', predecessor, `The event was changed: its content no longer matches the hash recorded by revision ${stream.revision} of its stream at position ${stream.position}${evidence}.`);
    }
  }

  /** A digest's claims about the log up to its toPosition, checked when every event up to there has been seen. */
  private evaluate(checkpoint: Checkpoint): void {
    const { digest } = checkpoint;
    const digestAt = `digest at position ${checkpoint.position}`;
    for (const [streamId, signed] of Object.entries(digest.streamHeads)) {
      const stream = this.streams.get(streamId);
      if (!stream || stream.revision < signed.revision) {
        const where: EventRef = { position: stream?.position ?? digest.toPosition, streamId, revision: signed.revision };
        this.report('event-missing', where, `The ${digestAt} signed revision ${signed.revision} of ${streamId} as its last up to position ${digest.toPosition}, but the log has ${stream ? `only up to revision ${stream.revision}` : 'no event of this stream'} there: events were removed.`);
      } else if (stream.revision > signed.revision) {
        this.report('event-inserted', stream, `The ${digestAt} signed revision ${signed.revision} as the last of ${streamId} up to position ${digest.toPosition}, but the log has revision ${stream.revision} there: events were inserted.`);
      } else if (stream.hash !== signed.eventHash) {
        if (stream.suspect) this.resolveSuspect(stream, 'successor');
        else this.report('event-modified', stream, `The event was changed: its hash no longer matches the one the ${digestAt} signed.`);
      } else if (stream.suspect) {
        this.resolveSuspect(stream, 'predecessor');
      }
    }
    for (const streamId of this.touched) {
      const stream = this.streams.get(streamId)!;
      if (stream.position > digest.fromPosition && !Object.hasOwn(digest.streamHeads, streamId)) {
        this.report('event-inserted', stream, `${streamId} has events between positions ${digest.fromPosition} and ${digest.toPosition} that the ${digestAt} did not sign: events were inserted.`);
      }
    }
    const explained = this.problems.length > this.problemsAtWindowStart || this.openSuspects > 0;
    if (!explained && this.total !== digest.totalEventCount) {
      const kind: ProblemKind = this.total < digest.totalEventCount ? 'event-missing' : 'event-inserted';
      this.report(kind, { position: Math.min(this.headPosition, digest.toPosition) }, `The ${digestAt} signed ${digest.totalEventCount} events up to position ${digest.toPosition}; the log has ${this.total}${kind === 'event-missing' ? ': events were removed (or the log was truncated)' : ''}.`);
    } else if (!explained && this.logHead !== digest.logHead) {
      this.report('log-order-changed', { position: this.firstPositionInWindow }, `The events between positions ${digest.fromPosition} and ${digest.toPosition} are not in the order the ${digestAt} signed, although every stream matches: events of different streams were reordered.`);
    }
    // Later ranges are judged on their own: continue from what the trusted digest signed.
    this.logHead = digest.logHead;
    this.total = digest.totalEventCount;
    this.touched = new Set();
    this.firstPositionInWindow = undefined;
    this.problemsAtWindowStart = this.problems.length;
  }

  private report(kind: ProblemKind, at: Partial<EventRef>, message: string): void {
    if (at.streamId !== undefined && at.revision !== undefined) {
      if (this.blamed.has(refKey(at as EventRef))) return;
      this.blamed.add(refKey(at as EventRef));
    }
    this.problems.push({ kind, position: at.position, streamId: at.streamId, revision: at.revision, message });
  }
}

const refKey = (ref: EventRef): string => `${ref.streamId}#${ref.revision}`;
