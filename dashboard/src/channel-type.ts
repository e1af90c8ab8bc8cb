export type ChannelType = 'public' | 'private' | 'presence' | 'encrypted' | 'cache';

/** The badges a channel name earns (a cache channel also has its base type). */
export function channelBadges(name: string): ChannelType[] {
  const badges: ChannelType[] = [];
  if (name.startsWith('private-encrypted-')) badges.push('encrypted');
  else if (name.startsWith('private-')) badges.push('private');
  else if (name.startsWith('presence-')) badges.push('presence');
  else badges.push('public');
  if (/^(?:private-encrypted-|private-|presence-)?cache-/.test(name)) badges.push('cache');
  return badges;
}

export function isEncryptedChannel(name: string): boolean {
  return name.startsWith('private-encrypted-');
}
