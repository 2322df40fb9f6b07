import { afterAll, beforeAll, describe } from 'vitest'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { securitySuite } from './security-suite.js'

describe('ssl security over the embedded broker', () => {
  let broker: TestBroker
  beforeAll(async () => {
    broker = await embeddedBroker()
  })
  afterAll(async () => {
    await broker?.stop()
  })
  securitySuite(() => broker.url)
})
