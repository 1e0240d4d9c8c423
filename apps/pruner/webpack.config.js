module.exports = require('../../tools/webpack/app-config')('pruner');
