/** What a call threw, or undefined when it returned: lets a test assert the class and the whole message. */
export function thrown(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
