module.exports = require('../../tools/webpack/app-config')('cache-agent');
