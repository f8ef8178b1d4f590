import { CommandHandler } from '@nestjs/cqrs';
import { KeyCommand, Tag } from '@keyledger/domain';
import { KeyChangeHandler, KeyChangeRequest } from './key-change';

export class EnableKey implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string }) {}
}
export class DisableKey implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string }) {}
}
export class UpdateKeyDescription implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; description: string }) {}
}
export class ScheduleKeyDeletion implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; pendingWindowInDays?: number }) {}
}
export class CancelKeyDeletion implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string }) {}
}
export class TagResource implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; tags: Tag[] }) {}
}
export class UntagResource implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; tagKeys: string[] }) {}
}
export class PutKeyPolicy implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; policyName?: string; policy: string }) {}
}
export class EnableKeyRotation implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string; rotationPeriodInDays?: number }) {}
}
export class DisableKeyRotation implements KeyChangeRequest {
  constructor(readonly ctx: KeyChangeRequest['ctx'], readonly input: { keyId: string }) {}
}

@CommandHandler(EnableKey)
export class EnableKeyHandler extends KeyChangeHandler<EnableKey> {
  protected toCommand(_r: EnableKey, keyArn: string): KeyCommand {
    return { kind: 'EnableKey', keyArn };
  }
}

@CommandHandler(DisableKey)
export class DisableKeyHandler extends KeyChangeHandler<DisableKey> {
  protected toCommand(_r: DisableKey, keyArn: string): KeyCommand {
    return { kind: 'DisableKey', keyArn };
  }
}

@CommandHandler(UpdateKeyDescription)
export class UpdateKeyDescriptionHandler extends KeyChangeHandler<UpdateKeyDescription> {
  protected toCommand({ input }: UpdateKeyDescription, keyArn: string): KeyCommand {
    return { kind: 'UpdateKeyDescription', keyArn, description: input.description };
  }
}

@CommandHandler(ScheduleKeyDeletion)
export class ScheduleKeyDeletionHandler extends KeyChangeHandler<ScheduleKeyDeletion> {
  protected toCommand({ input }: ScheduleKeyDeletion, keyArn: string): KeyCommand {
    return { kind: 'ScheduleKeyDeletion', keyArn, pendingWindowInDays: input.pendingWindowInDays };
  }
}

@CommandHandler(CancelKeyDeletion)
export class CancelKeyDeletionHandler extends KeyChangeHandler<CancelKeyDeletion> {
  protected toCommand(_r: CancelKeyDeletion, keyArn: string): KeyCommand {
    return { kind: 'CancelKeyDeletion', keyArn };
  }
}

@CommandHandler(TagResource)
export class TagResourceHandler extends KeyChangeHandler<TagResource> {
  protected toCommand({ input }: TagResource, keyArn: string): KeyCommand {
    return { kind: 'TagResource', keyArn, tags: input.tags };
  }
}

@CommandHandler(UntagResource)
export class UntagResourceHandler extends KeyChangeHandler<UntagResource> {
  protected toCommand({ input }: UntagResource, keyArn: string): KeyCommand {
    return { kind: 'UntagResource', keyArn, tagKeys: input.tagKeys };
  }
}

@CommandHandler(PutKeyPolicy)
export class PutKeyPolicyHandler extends KeyChangeHandler<PutKeyPolicy> {
  protected toCommand({ input }: PutKeyPolicy, keyArn: string): KeyCommand {
    return { kind: 'PutKeyPolicy', keyArn, policyName: input.policyName, policy: input.policy };
  }
}

@CommandHandler(EnableKeyRotation)
export class EnableKeyRotationHandler extends KeyChangeHandler<EnableKeyRotation> {
  protected toCommand({ input }: EnableKeyRotation, keyArn: string): KeyCommand {
    return { kind: 'EnableKeyRotation', keyArn, rotationPeriodInDays: input.rotationPeriodInDays };
  }
}

@CommandHandler(DisableKeyRotation)
export class DisableKeyRotationHandler extends KeyChangeHandler<DisableKeyRotation> {
  protected toCommand(_r: DisableKeyRotation, keyArn: string): KeyCommand {
    return { kind: 'DisableKeyRotation', keyArn };
  }
}

export const LIFECYCLE_COMMAND_HANDLERS = [
  EnableKeyHandler,
  DisableKeyHandler,
  UpdateKeyDescriptionHandler,
  ScheduleKeyDeletionHandler,
  CancelKeyDeletionHandler,
  TagResourceHandler,
  UntagResourceHandler,
  PutKeyPolicyHandler,
  EnableKeyRotationHandler,
  DisableKeyRotationHandler,
];
