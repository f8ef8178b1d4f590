import { Controller, Get, Logger, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { ConsoleAsset, loadConsoleAssets } from './console-assets';

/**
 * The page may load only its own files and talk only to this origin: no inline script or style, no frames, no
 * third-party anything. It holds credentials in memory, so it must not be framed or leak a referrer.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The audit console (apps/kms-api/console): static files, served without credentials. The page signs in with
 * the API's own credentials and fetches everything from the REST API, which authenticates every request.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly assets: Map<string, ConsoleAsset> = loadConsoleAssets();

  constructor() {
    if (!this.assets.has('index.html')) new Logger('Console').warn('The console files (apps/kms-api/console) were not found: /console answers 404.');
  }

  @Get()
  page(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() response: Response): void {
    this.send(response, file);
  }

  private send(response: Response, name: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`No such console file: ${name}`);
    response.status(200).set({ ...SECURITY_HEADERS, 'Content-Type': asset.contentType }).send(asset.body);
  }
}
