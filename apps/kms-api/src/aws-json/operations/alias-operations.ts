import { AliasList, CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from '@keyledger/application';
import { AliasRequest, CreateAliasRequest, ListAliasesRequest, UpdateAliasRequest } from '../dto/lifecycle.dto';
import { compact, toTimestamp } from '../wire';
import { Operation, operation } from './operation';

/** ListAliases' documented page size is 1..100 (the model allows 1000); the default is 50. */
const MAX_ALIAS_PAGE = 100;

export const ALIAS_OPERATIONS: Record<string, Operation> = {
  CreateAlias: operation(CreateAliasRequest, async (req, ctx, { commands }) => {
    await commands.execute(new CreateAlias(ctx, { aliasName: req.AliasName, keyId: req.TargetKeyId }));
    return {};
  }),

  UpdateAlias: operation(UpdateAliasRequest, async (req, ctx, { commands }) => {
    await commands.execute(new UpdateAlias(ctx, { aliasName: req.AliasName, keyId: req.TargetKeyId }));
    return {};
  }),

  DeleteAlias: operation(AliasRequest, async (req, ctx, { commands }) => {
    await commands.execute(new DeleteAlias(ctx, { aliasName: req.AliasName }));
    return {};
  }),

  ListAliases: operation(ListAliasesRequest, async (req, ctx, { queries }) => {
    const limit = Math.min(req.Limit ?? 50, MAX_ALIAS_PAGE);
    const page: AliasList = await queries.execute(new ListAliases(ctx, { keyId: req.KeyId, limit, marker: req.Marker }));
    return compact({
      Aliases: page.aliases.map((a) => ({
        AliasName: a.aliasName,
        AliasArn: a.aliasArn,
        TargetKeyId: a.targetKeyId,
        CreationDate: toTimestamp(a.creationDate),
        LastUpdatedDate: toTimestamp(a.lastUpdatedDate),
      })),
      NextMarker: page.nextMarker,
      Truncated: page.nextMarker !== undefined,
    });
  }),
};
