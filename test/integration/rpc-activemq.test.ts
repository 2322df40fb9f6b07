import { describe } from 'vitest'
import { ACTIVEMQ_URL, activemqAvailable } from '../helpers/brokers.js'
import { rpcSuite } from './rpc-suite.js'

const activemq = await activemqAvailable()
if (!activemq.ok) console.log(`skipping the ActiveMQ request-path suite: ${activemq.reason}`)

describe.skipIf(!activemq.ok)('request path over ActiveMQ (STOMP connector)', () => {
  rpcSuite(() => ACTIVEMQ_URL)
})
