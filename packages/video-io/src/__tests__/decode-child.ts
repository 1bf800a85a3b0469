/**
 * Decodes one video in a process of its own and prints its peak memory, for the memory-bound test:
 * `node decode-child.mjs <video> <numFrames> [maxShortEdge]` prints one JSON line
 * `{ maxRssBytes, frames, width, height }` (maxRSS as process.resourceUsage() reports it).
 */
import { lastValueFrom } from 'rxjs';
import { sampleVideo } from '../sample-video.js';

const [video, frames, bound] = process.argv.slice(2);
const v = await lastValueFrom(
  sampleVideo(video!, { numFrames: Number(frames), ...(bound ? { maxShortEdge: Number(bound) } : {}) }),
);
const maxRssBytes = process.resourceUsage().maxRSS * 1024; // reported in kilobytes
process.stdout.write(JSON.stringify({ maxRssBytes, frames: v.frames.length, width: v.width, height: v.height }) + '\n');
