import { useChat } from '@ai-sdk/react'
import { useState } from 'react'
import { ResumableChatTransport } from 'runstream/ai-sdk'

const transport = new ResumableChatTransport({ api: '/api/chat' })

/** One chat per tab session: a reload keeps its id, so useChat re-attaches to its reply. */
const chatId = sessionStorage.getItem('chatId') ?? crypto.randomUUID()
sessionStorage.setItem('chatId', chatId)

export function App() {
  const { messages, sendMessage, status, stop } = useChat({ id: chatId, resume: true, transport })
  const [text, setText] = useState('Hello')
  return (
    <main data-status={status}>
      {messages.map((message) => (
        <p key={message.id} className={message.role}>
          <b>{message.role}:</b>{' '}
          {message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')}
        </p>
      ))}
      <form
        onSubmit={(event) => {
          event.preventDefault()
          void sendMessage({ text })
          setText('')
        }}
      >
        <input value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit" disabled={status !== 'ready'}>
          Send
        </button>
        <button type="button" onClick={() => void stop()} disabled={status !== 'streaming'}>
          Stop
        </button>
      </form>
    </main>
  )
}
