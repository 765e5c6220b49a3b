DROP TABLE IF EXISTS portal_visitors;
