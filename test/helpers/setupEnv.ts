// Tests log nothing unless asked; a failing test prints its own story.
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
