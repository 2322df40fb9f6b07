import { afterAll, beforeAll, describe } from 'vitest'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { rpcSuite } from './rpc-suite.js'

describe('request path over the embedded broker', () => {
  let broker: TestBroker
  beforeAll(async () => {
    broker = await embeddedBroker()
  })
  afterAll(async () => {
    await broker?.stop()
  })
  rpcSuite(() => broker.url)
})
