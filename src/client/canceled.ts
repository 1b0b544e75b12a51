/**
 * Whether a cancel route's answer (`POST …/cancel`, `202 { status, stream, outcome }`) says a
 * running run was cancelled, rather than one that had ended or that the server does not know.
 */
export async function canceled(response: Response): Promise<boolean> {
  if (response.status !== 202) {
    await response.body?.cancel()
    return false
  }
  const answer = (await response.json().catch(() => undefined)) as { outcome?: unknown } | undefined
  return answer?.outcome === 'canceled'
}
