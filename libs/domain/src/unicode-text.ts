/** A lone UTF-16 surrogate: text no UTF-8 store or JSON tool (jq) takes, and that UTF-8 would turn into U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string is Unicode text: every request string member and every tag must be (stored, a lone surrogate breaks every JSON reader of the audit trail). */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/** The constraint a member that is not Unicode text fails, in Coral's words (request validation and the tag rules). */
export const UNICODE_TEXT_RULE = 'Member must be Unicode text (it has an unpaired surrogate)';
