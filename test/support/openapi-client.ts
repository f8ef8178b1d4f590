import { restCall, RestReply } from './rest-client';

/**
 * A small client that knows nothing about Keyledger but its OpenAPI document: it finds operations by
 * operationId, fills in the documented path, query and header parameters, and checks every answer against the
 * document (status documented, content type documented, body shaped like the documented schema).
 */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
  [member: string]: unknown;
}

export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface JsonSchema {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: unknown[];
}

export interface OperationCall {
  params?: Record<string, string>;
  body?: unknown;
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export class OpenApiClient {
  private constructor(
    private readonly baseUrl: string,
    readonly document: OpenApiDocument,
  ) {}

  static async load(baseUrl: string): Promise<OpenApiClient> {
    const response = await fetch(`${baseUrl}/openapi.json`);
    if (!response.ok) throw new Error(`GET /openapi.json: ${response.status}`);
    return new OpenApiClient(baseUrl, (await response.json()) as OpenApiDocument);
  }

  /** Every operation of the document, with its method and path template. */
  operations(): Array<{ method: string; path: string; operation: OpenApiOperation }> {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((m) => item[m]).map((method) => ({ method, path, operation: item[method] })),
    );
  }

  private find(operationId: string) {
    const found = this.operations().find((o) => o.operation.operationId === operationId);
    if (!found) throw new Error(`The document has no operation ${operationId}`);
    return found;
  }

  /** Calls an operation; `params` are spread over its documented path, query and header parameters. */
  async call<T = any>(operationId: string, { params = {}, body }: OperationCall = {}): Promise<RestReply<T>> {
    const { method, path, operation } = this.find(operationId);
    const declared = operation.parameters ?? [];
    for (const name of Object.keys(params)) {
      if (!declared.some((p) => p.name === name)) throw new Error(`${operationId} documents no parameter ${name}`);
    }
    const missing = declared.filter((p) => p.required && params[p.name] === undefined).map((p) => p.name);
    if (missing.length) throw new Error(`${operationId} requires ${missing.join(', ')}`);
    if (operation.requestBody?.required && body === undefined) throw new Error(`${operationId} requires a body`);

    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
    const query = new URLSearchParams(declared.filter((p) => p.in === 'query' && params[p.name] !== undefined).map((p): [string, string] => [p.name, params[p.name]]));
    const headers = Object.fromEntries(declared.filter((p) => p.in === 'header' && params[p.name] !== undefined).map((p) => [p.name, params[p.name]]));
    const reply = await restCall<T>(this.baseUrl, method.toUpperCase(), `${url}${query.size ? `?${query}` : ''}`, { body, headers });
    this.checkAgainstDocument(operationId, operation, reply);
    return reply;
  }

  /** The answer is one the document describes: its status, its content type and the shape of its body. */
  checkAgainstDocument(operationId: string, operation: OpenApiOperation, reply: RestReply): void {
    const documented = operation.responses[String(reply.status)];
    if (!documented) throw new Error(`${operationId} answered ${reply.status}, which its document does not list: ${reply.text}`);
    const contentType = (reply.headers.get('content-type') ?? '').split(';')[0];
    const content = documented.content?.[contentType];
    if (!content) throw new Error(`${operationId} answered ${reply.status} as ${contentType}, documented: ${Object.keys(documented.content ?? {})}`);
    const problems = this.conformance(content.schema, reply.body, '$');
    if (problems.length) throw new Error(`${operationId} ${reply.status} does not match its schema: ${problems.join('; ')}`);
  }

  /** Required members present, no undocumented members, arrays of documented items. */
  conformance(schema: JsonSchema, value: unknown, at: string): string[] {
    const resolved = schema.$ref ? this.document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
    if (resolved.type === 'array') {
      if (!Array.isArray(value)) return [`${at} is not an array`];
      return value.flatMap((item, i) => (resolved.items ? this.conformance(resolved.items, item, `${at}[${i}]`) : []));
    }
    if (!resolved.properties) return [];
    if (typeof value !== 'object' || value === null) return [`${at} is not an object`];
    const record = value as Record<string, unknown>;
    return [
      ...(resolved.required ?? []).filter((m) => record[m] === undefined).map((m) => `${at}.${m} is missing`),
      ...Object.keys(record).filter((m) => !resolved.properties![m]).map((m) => `${at}.${m} is not documented`),
      ...Object.entries(resolved.properties).flatMap(([m, s]) => (record[m] === undefined ? [] : this.conformance(s, record[m], `${at}.${m}`))),
    ];
  }
}
