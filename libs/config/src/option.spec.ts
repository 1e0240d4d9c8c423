import { num } from './option';

describe('num (seconds that may be fractional)', () => {
  const wakeup = num(300, 'Seconds between two passes.', { min: 0.001 });

  it('reads integers and decimals', () => {
    expect(wakeup.parse('300')).toBe(300);
    expect(wakeup.parse(' 0.001 ')).toBe(0.001);
    expect(wakeup.parse('.5')).toBe(0.5);
    expect(wakeup.parse('2.')).toBe(2);
  });

  it('refuses what is not a number, or below the minimum, naming the value', () => {
    expect(() => wakeup.parse('1e3')).toThrow('"1e3" is not a number');
    expect(() => wakeup.parse('soon')).toThrow('"soon" is not a number');
    expect(() => wakeup.parse('0')).toThrow('0 is below the minimum 0.001');
  });
});
