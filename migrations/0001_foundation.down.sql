DROP TABLE customer_links;
DROP TABLE clicks;
DROP TABLE affiliates;
DROP TABLE revenue_origins;
DROP TABLE personal_tokens;
DROP TABLE users;
DROP TABLE tenants;
