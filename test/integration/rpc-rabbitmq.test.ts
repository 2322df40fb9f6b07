import { describe } from 'vitest'
import { RABBITMQ_URL, rabbitmqAvailable } from '../helpers/brokers.js'
import { rpcSuite } from './rpc-suite.js'

const rabbit = await rabbitmqAvailable()
if (!rabbit.ok) console.log(`skipping the RabbitMQ request-path suite: ${rabbit.reason}`)

describe.skipIf(!rabbit.ok)('request path over RabbitMQ (STOMP plugin)', () => {
  rpcSuite(() => RABBITMQ_URL)
})
