/** Touchpoints: content (templates, media, channels, welcome messages) and campaigns. Its only public surface. */
export * from './content';
