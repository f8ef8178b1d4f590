import { CreateKey, CreatedKey, DescribeKey, KeyList, ListKeys } from '@keyledger/application';
import { KeyMetadata } from '@keyledger/domain';
import { AwsProtocolError } from '../aws-protocol-error';
import { CreateKeyRequest, DescribeKeyRequest, ListKeysRequest } from '../dto/key.dto';
import { compact } from '../wire';
import { Operation, operation } from './operation';

export const KEY_OPERATIONS: Record<string, Operation> = {
  CreateKey: operation(CreateKeyRequest, async (req, ctx, { commands }) => {
    if (req.CustomKeyStoreId !== undefined || req.XksKeyId !== undefined) {
      throw new AwsProtocolError('UnsupportedOperationException', 'Custom key stores are not supported by this service.');
    }
    // UNCONFIRMED for AWS (kms-operations-reference.md §12.3): the recommended emulator text, even when both agree.
    if (req.KeySpec !== undefined && req.CustomerMasterKeySpec !== undefined) {
      throw new AwsProtocolError('ValidationException', 'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.');
    }
    const { keyMetadata }: CreatedKey = await commands.execute(
      new CreateKey(ctx, {
        description: req.Description,
        keySpec: req.KeySpec ?? req.CustomerMasterKeySpec,
        keyUsage: req.KeyUsage,
        origin: req.Origin,
        multiRegion: req.MultiRegion,
        tags: req.Tags?.map(({ TagKey, TagValue }) => ({ TagKey, TagValue })),
        policy: req.Policy,
      }),
    );
    return { KeyMetadata: keyMetadata };
  }),

  DescribeKey: operation(DescribeKeyRequest, async (req, ctx, { queries }) => {
    const KeyMetadata: KeyMetadata = await queries.execute(new DescribeKey(ctx, req.KeyId));
    return { KeyMetadata };
  }),

  ListKeys: operation(ListKeysRequest, async (req, ctx, { queries }) => {
    const page: KeyList = await queries.execute(new ListKeys(ctx, req.Limit ?? 100, req.Marker));
    return compact({
      Keys: page.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
      NextMarker: page.nextMarker,
      Truncated: page.nextMarker !== undefined,
    });
  }),
};
