import { strict as assert } from 'node:assert';
import { formatBytes, formatDuration, parseDurationMs, parseSizeBytes } from '../../../src/shared/units';

describe('units', () => {
  describe('parseDurationMs', () => {
    it('takes numbers as milliseconds', () => {
      assert.equal(parseDurationMs(0), 0);
      assert.equal(parseDurationMs(1500), 1500);
      assert.equal(parseDurationMs(2.5), 2.5);
    });

    it('rejects negative and non-finite numbers', () => {
      for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(parseDurationMs(v), undefined, String(v));
    });

    it('parses each unit', () => {
      assert.equal(parseDurationMs('500ms'), 500);
      assert.equal(parseDurationMs('30s'), 30_000);
      assert.equal(parseDurationMs('5m'), 300_000);
      assert.equal(parseDurationMs('1h'), 3_600_000);
    });

    it('takes a bare number string as milliseconds', () => {
      assert.equal(parseDurationMs('250'), 250);
    });

    it('accepts fractions, spaces and upper case', () => {
      assert.equal(parseDurationMs('1.5s'), 1500);
      assert.equal(parseDurationMs('  2 s  '), 2000);
      assert.equal(parseDurationMs('10S'), 10_000);
      assert.equal(parseDurationMs('0.5H'), 1_800_000);
    });

    it('rounds to whole milliseconds', () => {
      assert.equal(parseDurationMs('1.0004s'), 1000);
      assert.equal(parseDurationMs('0.0006s'), 1);
    });

    it('rejects malformed strings', () => {
      for (const v of ['', 'abc', '5 minutes', '-1s', '1d', 's', '1..5s', '1e3']) assert.equal(parseDurationMs(v), undefined, v);
    });
  });

  describe('parseSizeBytes', () => {
    it('takes numbers as megabytes', () => {
      assert.equal(parseSizeBytes(256), 256 * 1024 ** 2);
      assert.equal(parseSizeBytes(0.5), 512 * 1024);
    });

    it('rejects zero, negative and non-finite numbers', () => {
      for (const v of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(parseSizeBytes(v), undefined, String(v));
    });

    it('parses each unit', () => {
      assert.equal(parseSizeBytes('100b'), 100);
      assert.equal(parseSizeBytes('512K'), 512 * 1024);
      assert.equal(parseSizeBytes('512M'), 512 * 1024 ** 2);
      assert.equal(parseSizeBytes('1G'), 1024 ** 3);
    });

    it('takes a bare number string as megabytes', () => {
      assert.equal(parseSizeBytes('64'), 64 * 1024 ** 2);
    });

    it('accepts B, iB suffixes, lower case, fractions and spaces', () => {
      assert.equal(parseSizeBytes('300MB'), 300 * 1024 ** 2);
      assert.equal(parseSizeBytes('2GiB'), 2 * 1024 ** 3);
      assert.equal(parseSizeBytes('1kb'), 1024);
      assert.equal(parseSizeBytes(' 1.5 g '), 1.5 * 1024 ** 3);
    });

    it('rejects malformed strings', () => {
      for (const v of ['', 'lots', '12T', '-1M', 'M', '1 GB extra']) assert.equal(parseSizeBytes(v), undefined, v);
    });
  });

  describe('formatBytes', () => {
    it('uses GB with one decimal from 1 GiB', () => {
      assert.equal(formatBytes(1024 ** 3), '1.0 GB');
      assert.equal(formatBytes(1.25 * 1024 ** 3), '1.3 GB');
    });

    it('uses whole MB from 1 MiB', () => {
      assert.equal(formatBytes(1024 ** 2), '1 MB');
      assert.equal(formatBytes(84 * 1024 ** 2 + 100), '84 MB');
      assert.equal(formatBytes(1024 ** 3 - 1), '1024 MB');
    });

    it('uses KB below 1 MiB, at least 1 KB', () => {
      assert.equal(formatBytes(512 * 1024), '512 KB');
      assert.equal(formatBytes(0), '1 KB');
      assert.equal(formatBytes(10), '1 KB');
    });
  });

  describe('formatDuration', () => {
    it('formats seconds, minutes, hours and days', () => {
      assert.equal(formatDuration(0), '0s');
      assert.equal(formatDuration(45_999), '45s');
      assert.equal(formatDuration(60_000), '1m');
      assert.equal(formatDuration(12 * 60_000 + 59_000), '12m');
      assert.equal(formatDuration((3 * 60 + 5) * 60_000), '3h 5m');
      assert.equal(formatDuration((2 * 24 + 4) * 3_600_000 + 59 * 60_000), '2d 4h');
    });
  });
});
