import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DOCS_PATH, OPENAPI_JSON_PATH } from '../rest/openapi/openapi';

const LINKS = {
  console: { href: '/console', title: 'Audit console: keys, timelines, state as of any moment, log verification' },
  docs: { href: DOCS_PATH, title: 'REST API documentation (Swagger UI)' },
  openapi: { href: OPENAPI_JSON_PATH, title: 'OpenAPI document of the REST API' },
  health: { href: '/health', title: 'Health: store, log head, read model lag' },
};
const AWS_ENDPOINT = 'POST / with X-Amz-Target: TrentService.<Operation> (AWS KMS JSON 1.1, SigV4)';

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keyledger</title></head>
<body><h1>Keyledger</h1>
<p>An event-sourced, AWS KMS-compatible key service. AWS SDKs and the aws CLI: ${escapeHtml(AWS_ENDPOINT)}.</p>
<ul>${Object.values(LINKS)
  .map((l) => `<li><a href="${l.href}">${l.href}</a> — ${escapeHtml(l.title)}</li>`)
  .join('')}</ul>
</body></html>
`;

/** `GET /`: where to go from here (the AWS endpoint is POST /, answered before Nest). HTML for browsers, JSON otherwise. */
@ApiExcludeController()
@Controller()
export class RootController {
  @Get()
  index(@Headers('accept') accept: string | undefined, @Res() response: Response): void {
    response.set({ 'Cache-Control': 'no-cache', Vary: 'Accept', 'X-Content-Type-Options': 'nosniff' });
    if (accept?.includes('text/html')) {
      response.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'").type('html').send(PAGE);
    } else {
      response.json({ service: 'keyledger', awsEndpoint: AWS_ENDPOINT, links: LINKS });
    }
  }
}
