import { describe } from 'vitest'
import { RABBITMQ_URL, rabbitmqAvailable } from '../helpers/brokers.js'
import { securitySuite } from './security-suite.js'

const rabbit = await rabbitmqAvailable()
if (!rabbit.ok) console.log(`skipping the RabbitMQ security suite: ${rabbit.reason}`)

describe.skipIf(!rabbit.ok)('ssl security over RabbitMQ', () => {
  securitySuite(() => RABBITMQ_URL)
})
