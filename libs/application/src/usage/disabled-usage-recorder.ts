import { Injectable } from '@nestjs/common';
import type { KeyUseRecord, UsageRecorder } from '../ports';

/** The recorder bound when the usage log is off (KEYLEDGER_USAGE_LOG=off): every record is dropped, nothing is written. */
@Injectable()
export class DisabledUsageRecorder implements UsageRecorder {
  record(_entry: KeyUseRecord): void {}

  async flush(): Promise<void> {}
}
