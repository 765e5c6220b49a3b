/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest/presets/js-with-ts',
  testEnvironment: 'node',
  // The first test of a file also pays for compiling the SDK; slow CI machines need room.
  testTimeout: 20000,
  roots: ['<rootDir>/src', '<rootDir>/test'],
  // The SDK ships ES modules; let ts-jest compile it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!@stripe/ui-extension-sdk/)'],
};
