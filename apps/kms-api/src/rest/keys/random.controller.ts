import { Body, HttpCode, Post } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { GenerateRandom } from '@keyledger/application';
import { RandomBody } from '../dto/crypto-requests.dto';
import { RandomResource } from '../dto/crypto-resources.dto';
import { ApiPlainResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toBase64 } from './crypto-representation';

/**
 * Random bytes, independent of any key (GenerateRandom). The query takes no request context: it uses no key,
 * so nothing about the caller is recorded, exactly as on the AWS endpoint.
 */
@RestEndpoint('v1/random', 'cryptographic operations')
export class RandomController {
  constructor(private readonly queries: QueryBus) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'generateRandom', summary: 'Random bytes (GenerateRandom)', description: "1 to 1024 bytes from the operating system's CSPRNG." })
  @ApiBody({ type: RandomBody })
  @ApiPlainResponse(RandomResource, 'The random bytes.')
  @ApiProblems(400, 413, 415, 500)
  async generateRandom(@Body() body: RandomBody): Promise<RandomResource> {
    const bytes: Buffer = await this.queries.execute(new GenerateRandom(body.numberOfBytes));
    return { plaintext: toBase64(bytes) };
  }
}
